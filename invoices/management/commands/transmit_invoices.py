from django.core.management.base import BaseCommand

from invoices.transmission import transmit_due


class Command(BaseCommand):
    help = "Transmit to Chorus Pro the invoices « À transmettre » whose turn has come (safe on several machines)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args, limit, **options):
        outcome = transmit_due(limit=limit)
        self.stdout.write(
            f"{outcome.transmitted} transmitted, {outcome.retried_later} to try again, {outcome.refused} refused."
        )
