from django.core.management.base import BaseCommand, CommandError

from chorus.portal import PortalError
from invoices.transmission import refresh_city_services


class Command(BaseCommand):
    help = "Refresh the city's services (« code service ») from Chorus Pro."

    def handle(self, *args, **options):
        try:
            counts = refresh_city_services()
        except PortalError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"{counts.added} added, {counts.updated} updated, {counts.closed} no longer offered.")
