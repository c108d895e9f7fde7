from django.core.management.base import BaseCommand

from core.storage import purge_wizard_files


class Command(BaseCommand):
    help = "Remove the files of abandoned wizards (kept in private temporary storage) older than a day."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24, help="Age above which a file is removed (default 24).")

    def handle(self, *args, hours, **options):
        removed = purge_wizard_files(hours)
        self.stdout.write(f"{removed} abandoned wizard file(s) removed.")
