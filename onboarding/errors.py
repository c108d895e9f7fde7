"""Exceptions shared by the stage apps."""


class ReasonError(Exception):
    """An error whose `reason`, one of its class's constants, tells the view which page to show."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason
