"""JSON log lines (settings.LOGGING, LOG_FORMAT=json) and what never reaches them.

Each line is one JSON object: time, level, logger, message, the request id
(core/requestid.py) and, for a business event (core/events.py), its name and fields. Before a
line is written, what looks like an IBAN or a signed link's token is masked, whoever logged it:
the business events mask their sensitive fields by name, this is the net under everything else.

Hand-written rather than python-json-logger: twenty lines, and the masking has to sit in the
formatter anyway.
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

# The id of the request being served (set by core.requestid.RequestIdMiddleware).
request_id_var = contextvars.ContextVar("request_id", default="-")


def current_request_id():
    return request_id_var.get()


# An IBAN, written in one piece or in groups of four (FR76 3000 6000 0112 3456 7890 189).
IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# A value signed by django.core.signing (e-mailed links): payload:timestamp:signature.
SIGNED = re.compile(r"[A-Za-z0-9_-]{2,}:[A-Za-z0-9_-]{4,}:[A-Za-z0-9_-]{20,}")
MASK = "[masqué]"


def mask_iban(value):
    compact = re.sub(r"\s", "", str(value))
    return f"{compact[:2]}…{compact[-4:]}" if len(compact) > 8 else MASK


def _iban_looking(match):
    text = match.group(0)
    return mask_iban(text) if sum(c.isdigit() for c in text) >= 8 else text


def scrub(text):
    """`text` with what looks like an IBAN or a signed token masked."""
    text = str(text)
    return IBAN.sub(_iban_looking, SIGNED.sub(MASK, text))


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        if getattr(record, "event", None):
            line["event"] = record.event
            line.update({key: value for key, value in record.fields.items() if key not in line})
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)
