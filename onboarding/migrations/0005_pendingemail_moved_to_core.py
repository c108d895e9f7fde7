# The outbox (PendingEmail) now belongs to core (core 0001 took its table over).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0004_user_second_factor"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PendingEmail")],
            database_operations=[],
        ),
    ]
