"""Logging that never prints the bot token.

HTTP client libraries log request URLs, and Bot API URLs contain the token. The
redaction sits in the log-record factory, so it applies before any handler sees
a record (ours, a platform's, or a test's capture), exception text included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

REDACTED = "<BOT_TOKEN>"
_secrets: set[str] = set()
_base_factory: Callable[..., logging.LogRecord] | None = None


def _scrub(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text


def redact(text: str) -> str:
    """`text` with every registered secret replaced; for output that bypasses logging
    (PTB's InvalidToken message, for one, quotes the whole token)."""
    return _scrub(text)


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's bug, not ours to hide
        return record
    cleaned = _scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = _scrub(logging.Formatter().formatException(record.exc_info))
    return record


def add_secret(secret: str) -> None:
    """Redact `secret` from every log record from now on."""
    global _base_factory
    if not secret:
        return
    _secrets.add(secret)
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_factory)


def configure_logging(level: str, token: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    add_secret(token)
    # One INFO line per HTTP request (with the URL) is noise at best; at DEBUG the operator
    # asked for everything (URLs are redacted like every other record).
    quiet = logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(quiet)
