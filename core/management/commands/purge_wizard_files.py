import time
from pathlib import Path

from django.core.management.base import BaseCommand

from core.storage import wizard_file_storage


class Command(BaseCommand):
    help = "Remove the files of abandoned wizards (kept in private temporary storage) older than a day."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24, help="Age above which a file is removed (default 24).")

    def handle(self, *args, hours, **options):
        root = Path(wizard_file_storage.location)
        cutoff = time.time() - hours * 3600
        removed = 0
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        self.stdout.write(f"{removed} abandoned wizard file(s) removed.")
