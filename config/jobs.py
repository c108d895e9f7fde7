"""The scheduled jobs and their periods: what `manage.py run_jobs` runs (core/jobs.py).

Adding a job is one line: a name, a period, a function without arguments that returns what it
did (for the log). It must be idempotent, and safe when two machines run it at once (a
conditional UPDATE, or `select_for_update(skip_locked=True)` on the rows it works on).
"""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command

from core.emails import retry_pending_emails
from core.jobs import Job
from core.storage import purge_wizard_files
from invoices.transmission import follow_transmitted, refresh_city_services, transmit_due
from mandates.services import expire_mandates
from twofactor.services import purge_used_codes


def clear_expired_sessions():
    call_command("clearsessions")
    return "expired sessions removed"


JOBS = [
    Job("retry_emails", every=timedelta(minutes=5), run=retry_pending_emails),
    Job("expire_mandates", every=timedelta(days=1), run=expire_mandates),
    Job("purge_wizard_files", every=timedelta(days=1), run=purge_wizard_files),
    Job("purge_used_codes", every=timedelta(days=1), run=purge_used_codes),
    Job("clear_sessions", every=timedelta(days=1), run=clear_expired_sessions),
    # Chorus Pro (invoices/transmission.py): invoices out, their statuses back, the city's services.
    Job("transmit_invoices", every=timedelta(minutes=1), run=transmit_due),
    Job("follow_invoices", every=timedelta(seconds=settings.CHORUS_FOLLOW_SECONDS), run=follow_transmitted),
    Job("refresh_city_services", every=timedelta(days=1), run=refresh_city_services),
]
