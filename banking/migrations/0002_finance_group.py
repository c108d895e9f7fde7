"""The « Finance » group: the city's staff who review bank details.

Created here (and by demo_data, by the same name) so that every database has it. Permissions
are normally created after all migrations; they are created first so that the group gets them
on a fresh database too. Running it again only adds what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_GROUP = "Finance"

# (app label, codename): deciding on bank details, and seeing what is needed to decide.
PERMISSIONS = [
    ("banking", "review_bankaccount"),
    ("banking", "view_bankaccount"),
    ("banking", "view_historicalbankaccount"),
    ("structures", "view_structure"),
    ("structures", "view_membership"),
    ("structures", "view_attachmentrequest"),
]


def create_finance_group(apps, schema_editor):
    for label in {label for label, _codename in PERMISSIONS}:
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # what create_permissions looks at to know models exist
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=FINANCE_GROUP)
    for label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("structures", "0001_initial"),
        ("banking", "0001_initial"),
    ]

    # Reversing keeps the group: it may hold people and permissions given by hand since.
    operations = [migrations.RunPython(create_finance_group, migrations.RunPython.noop)]
