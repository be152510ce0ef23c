"""Logging of every process, with secrets kept out of every line.

Tokens reach the server in query strings (``/ws/team?token=...``, OwnTracks' and Open311's
keys), in ``Authorization`` headers and in URLs with a password (``redis://:pw@host``).
:func:`install` makes every log record of the process redacted when it is created, whoever
logs it (uvicorn's access and error logs, RQ, our own modules) and whatever handler writes
it, tracebacks included. :func:`uvicorn_log_config` is uvicorn's own configuration with the
root logger added, so our modules' lines land in the same stream in the same format.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

REDACTED = "[redacted]"
#: Query or form parameters whose value is a secret.
SECRET_PARAMS = ("token", "access_token", "api_key", "apikey", "key", "password", "secret",
                 "auth")
_PARAM = re.compile(r"(?i)(?<![A-Za-z0-9_])(" + "|".join(SECRET_PARAMS) + r")=([^&\s\"'#]+)")
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(@)", re.I)
_BEARER = re.compile(r"\b(Bearer|Basic|bearer) +[A-Za-z0-9._~+/=-]{16,}")
_JSON_TOKEN = re.compile(r"""(?i)(["']token["']\s*:\s*["'])([^"']+)(["'])""")

_installed = False


def redact(text: str) -> str:
    """``text`` with every secret it carries replaced."""
    if "=" in text:
        text = _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    if "earer " in text or "Basic " in text:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if "oken" in text:
        text = _JSON_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    return text


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}
    elif record.args:
        record.args = tuple(_clean(a) for a in record.args)
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    return record


class RedactFilter(logging.Filter):
    """The same redaction as a handler filter (for handlers set up by hand)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Redact every record this process creates from now on (idempotent)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, redacting, with our loggers on the same stream."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"redact": {"()": RedactFilter}},
        "handlers": {name: {**handler, "filters": ["redact"]}
                     for name, handler in LOGGING_CONFIG["handlers"].items()},
        "root": {"handlers": ["default"], "level": level.upper()},
    }
    return config
