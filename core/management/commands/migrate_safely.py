"""`migrate`, one machine at a time: several machines starting together (bin/serve) would
otherwise apply the same migration twice. On PostgreSQL an advisory lock makes the others wait,
then find nothing left to do; SQLite is one machine's file anyway."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

LOCK_KEY = 7_311_482_015  # any constant: the app's one advisory lock for migrations


class Command(BaseCommand):
    help = "Apply the migrations, one machine at a time (PostgreSQL advisory lock)."

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
