"""Finance staff decide attachment requests too (issue 3), from the admin."""

from django.db import migrations

FINANCE_GROUP = "Finance"


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("structures")
    config.models_module = True  # what create_permissions looks at to know models exist
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="structures", codename="change_attachmentrequest")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("structures", "0001_initial"),
        ("banking", "0002_finance_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
