"""The « Finance » group (created by banking's migration 0002) processes invoices and keeps the
list of the city's services.

Permissions are normally created after all migrations; they are created here first so that the
group gets them on a fresh database too. Running it again only adds what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "Finance"

PERMISSIONS = [
    "process_invoice",
    "view_invoice",
    "view_invoicestatuschange",
    "view_supportingdocument",
    "view_service",
    "add_service",
    "change_service",
]


def give_permissions(apps, schema_editor):
    app_config = apps.get_app_config("invoices")
    app_config.models_module = True  # what create_permissions looks at to know models exist
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=FINANCE_GROUP)
    for codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label="invoices", codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0002_finance_group"),
        ("invoices", "0001_initial"),
    ]

    # Reversing keeps the group and its permissions: they may have been given by hand since.
    operations = [migrations.RunPython(give_permissions, migrations.RunPython.noop)]
