"""Business events, one JSON log line each (README « Journaux »): who did what to which row.

    log_event("bank_account.validated", bank_account=account.pk, structure=account.structure_id, by=by.pk)

Fields are ids and states, never personal details. A field whose name says it is sensitive
(an IBAN, a password, a token, a code, a secret, a key) is masked whatever its value, and
core/logs.py masks IBAN-looking text in every line besides.

An event is written when the service has made its change, inside its transaction: if a later
step of the same request fails (the wizard's end rolls back as a whole), the error's line with
the same request id follows it. (Waiting for the commit would add an on-commit callback that the
tests counting the e-mails' callbacks would see.)
"""

import logging

from .logs import MASK, current_request_id, mask_iban

logger = logging.getLogger("onboarding.events")

SENSITIVE = ("password", "token", "code", "secret", "key", "otp")


def masked(name, value):
    lowered = name.lower()
    if "iban" in lowered:
        return mask_iban(value)
    if any(word in lowered for word in SENSITIVE):
        return MASK
    return value


def log_event(name, **fields):
    fields = {key: masked(key, value) for key, value in fields.items()}
    logger.info(name, extra={"event": name, "fields": fields, "request_id": current_request_id()})
