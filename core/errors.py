"""The one shape of a domain error: what a service refuses, in the words the user reads.

Every stage's errors derive from DomainError. A service raises it; the view (or the form that
called the service) shows `message`, next to `field` when it names one. Errors that choose a
whole page rather than a message (a link that expired, was used…) carry a `reason`, one of their
class's constants, and the view maps it to its page.
"""


class DomainError(Exception):
    """A request a service refuses. `message` is for the user; `field` the form field it is about.

    A subclass may give its `message` as a class attribute; one passed to the constructor wins.
    """

    message = ""
    field = None

    def __init__(self, message=None, *, field=None, reason=None):
        if message is not None:
            self.message = message
        if field is not None:
            self.field = field
        self.reason = reason
        super().__init__(str(self.message or reason or ""))

    def add_to(self, form):
        """Show it in `form`, under its field or at the top (field=None)."""
        form.add_error(self.field if self.field in form.fields else None, self.message)


class ReasonError(DomainError):
    """A DomainError whose `reason`, one of its class's constants, tells the view which page to show."""

    def __init__(self, reason, message=None):
        super().__init__(message, reason=reason)
