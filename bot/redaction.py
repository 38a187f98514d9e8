"""Secrets never leave the process as text: error messages, log lines and tracebacks are masked.

A malformed ORGBOT_DATABASE_URL used to be echoed whole, password included, in the
start-up error, where it ends up in terminals, CI logs and support tickets. Three nets:

- any ``scheme://user:password@`` and ``password=…`` in text is masked by pattern, so a
  URL nobody could parse is still masked;
- the configured secrets themselves (database password, API token, IM app secrets) are
  remembered by ``protect_config`` and masked wherever they appear, also percent-encoded;
- every log record is masked when it is made (message, arguments and traceback), so no
  handler (file, journald, pytest's caplog) ever sees the secret.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter values would mask ordinary words; such weak secrets are still masked inside URLs by pattern."""

_URL_PASSWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)(?P<secret>[^\s'\"]*)@"
)
_KEY_VALUE = re.compile(
    r"(?i)(?P<head>(?<![A-Za-z0-9_])[A-Za-z0-9_]*(?:password|passwd|pwd|secret|token)[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<secret>[^\s&;,'\"}]+)"
)

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every password in a URL, ``password=`` value and remembered secret replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    text = _KEY_VALUE.sub(lambda m: m.group("head") + MASK, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def remember_secret(value: str | None) -> None:
    """Mask ``value`` (and its URL-encoded forms) in everything redacted from now on."""
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        for form in {value, quote(value, safe=""), quote_plus(value), unquote(value)}:
            if len(form) >= MIN_SECRET_LENGTH:
                _secrets.add(form)


def database_password(url: str) -> str | None:
    """The password in a database URL, also from a URL SQLAlchemy cannot parse."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:
        found = _URL_PASSWORD.search(url)
        return unquote(found.group("secret")) if found else None


SECRET_KEYS = ("password", "secret", "token", "aes_key")


def protect_config(config: Any) -> None:
    """Remember every secret a loaded configuration holds and mask all log records from now on."""
    remember_secret(database_password(config.database.url))
    for section in vars(config).values():
        for key, value in vars(section).items() if hasattr(section, "__dataclass_fields__") else ():
            if isinstance(value, str) and any(word in key for word in SECRET_KEYS):
                remember_secret(value)
    install_log_masking()


def install_log_masking() -> None:
    """Wrap the log record factory once: each record's text is masked before any handler sees it."""
    global _installed
    with _lock:
        if _installed:
            return
        make = logging.getLogRecordFactory()

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: let logging report it as usual
                return record
            record.msg, record.args = redact(message), None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            return record

        logging.setLogRecordFactory(masked_record)
        _installed = True


def format_exception_masked(exc: BaseException) -> str:
    """A traceback fit for a terminal: every frame and message masked."""
    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
