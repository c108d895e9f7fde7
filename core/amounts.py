"""Amounts and rates for people to read, in the active language's formats (Django's
localization, never a French pattern written in code): « 1 234,56 € » and « 5,5 % » in French,
« 1,234.56 € » and « 5.5 % » in English. The unit follows a no-break space."""

from decimal import Decimal

from django.utils import formats

NO_BREAK_SPACE = "\xa0"


def euros(amount):
    """An amount in euros: 2 decimals, thousands grouped, « € »."""
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)}{NO_BREAK_SPACE}€"


def percent(rate):
    """A rate as written on an invoice: the decimals it has, no trailing zero (20,00 → « 20 % »,
    5,50 → « 5,5 % »)."""
    rate = Decimal(rate)
    places = max(0, -rate.normalize().as_tuple().exponent)
    return f"{formats.number_format(rate, places, use_l10n=True)}{NO_BREAK_SPACE}%"
