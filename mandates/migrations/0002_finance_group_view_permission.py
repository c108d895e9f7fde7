"""The « Finance » group (created by banking's migration 0002) may look at billing mandates.

Permissions are normally created after all migrations; they are created here first so that the
group gets this one on a fresh database too. Running it again only adds what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "Finance"


def give_view_permission(apps, schema_editor):
    app_config = apps.get_app_config("mandates")
    app_config.models_module = True  # what create_permissions looks at to know models exist
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="mandates", codename="view_billingmandate"))


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0002_finance_group"),
        ("mandates", "0001_initial"),
    ]

    # Reversing keeps the group and its permission: they may have been given by hand since.
    operations = [migrations.RunPython(give_view_permission, migrations.RunPython.noop)]
