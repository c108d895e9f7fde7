"""Ids that come from the browser (`?structure=`, a button's value), read before any query."""

# A PostgreSQL bigint holds 18 digits (and a bit more): longer is no id of ours.
MAX_ID_DIGITS = 18


def parse_id(value):
    """`value` (a string from the request) as a row id, or None when it cannot be one.

    ASCII digits only: str.isdigit() also accepts « ² », « ١ » and other Unicode digits, which a
    query then refuses with a ValueError (a 500) or reads as another number.
    """
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > MAX_ID_DIGITS:
        return None
    return int(value)
