from django.dispatch import receiver

from onboarding.signals import account_activated


@receiver(account_activated)
def release_attachment_requests(sender, user, **kwargs):
    from .services import notify_pending_requests

    notify_pending_requests(user)
