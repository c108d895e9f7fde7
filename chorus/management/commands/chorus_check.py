"""Check the connection to Chorus Pro: find the city's structure and list its services.

The first thing to run after setting the PISTE and technical account credentials (see
chorus/__init__.py). It changes nothing on the portal.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from chorus import portal


class Command(BaseCommand):
    help = "Check the connection to Chorus Pro: find the city's structure (CHORUS_CITY_SIRET) and list its services."

    def handle(self, *args, **options):
        backend = getattr(settings, "CHORUS_BACKEND", "stub")
        environment = getattr(settings, "CHORUS_ENVIRONMENT", "sandbox") if backend == "piste" else "-"
        siret = settings.CHORUS_CITY_SIRET
        self.stdout.write(f"Backend: {backend}, environment: {environment}, city's SIRET: {siret}")
        try:
            structure = portal.find_structure(siret)
            if structure is None:
                raise CommandError(f"No structure with the SIRET {siret} on the portal (CHORUS_CITY_SIRET).")
            self.stdout.write(f"Structure: {structure.name} (idStructureCPP {structure.id_cpp})")
            services = portal.list_services(structure.id_cpp)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        except portal.PortalError as error:
            raise CommandError(f"{error.message} [{error.reason or error.code}]") from None
        for service in services:
            flags = [
                "engagement obligatoire" if service.engagement_required else "",
                "inactif" if not service.active else "",
            ]
            details = ", ".join(flag for flag in flags if flag)
            self.stdout.write(f"  {service.code:<20} {service.name}" + (f" ({details})" if details else ""))
        self.stdout.write(self.style.SUCCESS(f"Chorus Pro answers: {len(services)} services."))
