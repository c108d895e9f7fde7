# The outbox's table takes core's name, now that onboarding let go of it (onboarding 0005).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("onboarding", "0005_pendingemail_moved_to_core"),
    ]

    operations = [
        migrations.AlterModelTable(name="pendingemail", table=None),
    ]
