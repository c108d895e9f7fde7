"""Dates for people to read, in the active language's formats (never a French pattern written
in code): « 7 décembre 2026 » in French, « Dec. 7, 2026 » in English."""

from django.utils import formats, timezone


def local_date(moment):
    """A date, or a moment's date in the city's time zone, in the active language's DATE_FORMAT."""
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATE_FORMAT")


def local_datetime(moment):
    """A moment in the city's time zone, in the active language's DATETIME_FORMAT."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def short_date(moment):
    """A date, or a moment's date, in the active language's SHORT_DATE_FORMAT (20/11/2026)."""
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATE_FORMAT")
