from django.core.management.base import BaseCommand

from twofactor.services import purge_used_codes


class Command(BaseCommand):
    help = "Forget the digests of second-factor codes used more than 30 days ago (daily job)."

    def handle(self, *args, **options):
        removed = purge_used_codes()
        self.stdout.write(f"{removed} used code digest(s) removed.")
