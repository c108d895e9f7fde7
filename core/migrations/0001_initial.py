# The outbox (PendingEmail) moved from onboarding to core: the same table, taken over by this
# app's state first (onboarding 0005 lets go of it), then renamed (0002).

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("onboarding", "0004_user_second_factor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PendingEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("recipient", models.EmailField(db_index=True, max_length=254, verbose_name="destinataire")),
                        ("recipients", models.JSONField(default=list, verbose_name="destinataires")),
                        ("subject", models.CharField(max_length=998, verbose_name="objet")),
                        ("body", models.TextField(verbose_name="texte")),
                        ("html", models.TextField(blank=True, verbose_name="HTML")),
                        ("attachments", models.JSONField(blank=True, default=list, verbose_name="pièces jointes")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                        ("attempts", models.PositiveIntegerField(default=1, verbose_name="tentatives")),
                        ("last_error", models.TextField(blank=True, verbose_name="dernière erreur")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="envoyé le")),
                    ],
                    options={
                        "verbose_name": "courriel en attente d'envoi",
                        "verbose_name_plural": "courriels en attente d'envoi",
                        "ordering": ["-created_at"],
                        "db_table": "onboarding_pendingemail",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
