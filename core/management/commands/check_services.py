"""Does every outside service answer? Run by bin/serve before gunicorn starts: a server whose
Redis or object store is unreachable fails at start, with the reason, not at its first supplier."""

import uuid

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError

from core.health import check_cache, check_database
from core.storage import private_storage


def check_storage_writable():
    # Writes and removes a small file: the private storage takes files (and the local folder
    # exists from now on, for /sante/'s listing).
    name = private_storage.save(f"sante/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    private_storage.delete(name)


class Command(BaseCommand):
    help = "Check that the database, the cache and the private storage answer (and the storage takes a file)."

    def handle(self, *args, **options):
        failed = []
        for name, check in [("database", check_database), ("cache", check_cache), ("storage", check_storage_writable)]:
            try:
                check()
            except Exception as error:  # whatever the service raises: say which and why
                failed.append(name)
                self.stderr.write(f"{name}: {type(error).__name__}: {error}")
            else:
                self.stdout.write(f"{name}: ok")
        if failed:
            raise CommandError(f"Not answering: {', '.join(failed)}. See README « Mise en production ».")
