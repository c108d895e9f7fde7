from django.core.management.base import BaseCommand

from core.emails import retry_pending_emails


class Command(BaseCommand):
    help = "Send again the e-mails the mail server could not take (run it every few minutes)."

    def handle(self, *args, **options):
        sent, failed = retry_pending_emails()
        self.stdout.write(f"{sent} e-mail(s) sent, {failed} still failing.")
