from django.core.management.base import BaseCommand

from invoices.transmission import follow_transmitted


class Command(BaseCommand):
    help = "Bring back from Chorus Pro the statuses of the transmitted invoices not final yet."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args, limit, **options):
        self.stdout.write(f"{follow_transmitted(limit=limit)} new status(es) recorded.")
