import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

FINANCE_GROUP = "Finance"
DEMO_STAFF_EMAIL = "finances@grenoble.example"
DEMO_SERVICES = [
    ("DSI", "Direction des systèmes d'information", True),
    ("VOIRIE", "Direction de l'espace public — voirie", True),
    ("CULTURE", "Bibliothèques municipales", False),
    ("ECOLES", "Direction de l'éducation — écoles", False),
]


class Command(BaseCommand):
    help = "Load the demo data: a finance staff account (password from DEMO_PASSWORD, else generated and printed)."

    def handle(self, *args, **options):
        User = get_user_model()
        group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        staff, created = User.objects.get_or_create(
            email=DEMO_STAFF_EMAIL,
            defaults={"last_name": "Finances", "first_name": "Agent", "is_staff": True, "is_active": True},
        )
        if created or os.environ.get("DEMO_PASSWORD"):
            staff.set_password(password)
            staff.save()
            shown = password if not os.environ.get("DEMO_PASSWORD") else "(DEMO_PASSWORD)"
        else:
            shown = "(unchanged; set DEMO_PASSWORD to choose one)"
        staff.groups.add(group)
        # The city's services that order (« code service »), so that the demo can deposit invoices.
        from invoices.models import Service

        for code, name, engagement_required in DEMO_SERVICES:
            Service.objects.get_or_create(
                code=code, defaults={"name": name, "engagement_required": engagement_required}
            )
        key_line, codes = self._second_factor(staff)
        # Printed last, in one block: the security notices e-mailed above (printed on the console
        # in the demo) must not split the credentials.
        rule = "=" * 79
        self.stdout.write(rule)
        self.stdout.write(
            self.style.SUCCESS(f"Finance staff account: {DEMO_STAFF_EMAIL} / password: {shown}  →  /admin/")
        )
        self.stdout.write(key_line)
        self.stdout.write("Second factor at login: the app's code, or one of these single-use recovery codes:")
        self.stdout.write("  " + "  ".join(codes))
        self.stdout.write("Suppliers' login codes are e-mailed: with DJANGO_DEBUG they are printed in this terminal.")
        self.stdout.write(rule)

    def _second_factor(self, staff):
        """The admin asks staff for an authenticator app's code after the password. For the demo:
        an app key to add to any authenticator, and recovery codes (new ones at each run)."""
        from twofactor import services

        if services.uses_authenticator(staff):
            codes = services.regenerate_recovery_codes(staff)
            key_line = "Authenticator app: the one set up by an earlier run (or use a recovery code)."
        else:
            key = services.new_totp_key()
            codes = services.enable_authenticator(staff, key, step=0)
            key_line = f"Authenticator app key (type it by hand, time-based): {services.manual_key(key)}"
        return key_line, codes
