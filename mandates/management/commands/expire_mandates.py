from django.core.management.base import BaseCommand

from mandates.services import expire_mandates


class Command(BaseCommand):
    help = "Mark « expiré » the billing mandates left unsigned past their signing period (run daily)."

    def handle(self, *args, **options):
        count = expire_mandates()
        self.stdout.write(f"{count} billing mandate(s) expired.")
