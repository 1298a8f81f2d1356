"""Logging: one line per event, never the bot token, never what a user wrote.

- **The token.** HTTP client libraries log request URLs, and Bot API URLs contain the
  token. The redaction sits in the log-record factory, so it applies before any handler
  sees a record (ours, a platform's, Sentry's breadcrumbs, or a test's capture), exception
  text included; our formatters scrub the finished line once more.
- **User text.** At DEBUG, PTB logs every Bot API call with its parameters and its result
  (getUpdates returns whole messages) and every update it processes; aiosqlite logs every
  statement with its parameters (the inbox stores the update as JSON). The record factory
  cuts those records down to the method name or the update id, and aiosqlite stays at INFO.
  Our own records carry ids (update, user, chat), never message text.
  While an update is handled, what its person wrote (text, caption, button data) and their
  names are replaced by `<user text>` in every record, tracebacks included, in case an
  exception quotes them (`user_text()`, set by the worker; error reports use it too).
- **Tracebacks.** A failure we report ourselves in one line (no network, a bad token, a
  second poller) is not preceded by PTB's traceback of the same error: below DEBUG,
  Telegram errors logged by PTB lose their traceback, and the ones PTB logs just before
  raising them to us ("... Aborting") are dropped. A bug in our code keeps its traceback.
- **Format.** `LOG_FORMAT=text` (default): `time LEVEL logger: message`. `LOG_FORMAT=json`:
  one JSON object per line with `ts`, `level`, `logger`, `message`, the ids passed as
  `extra=` (`update_id`, `user_id`, `chat_id`, ...) and `exc_type`/`exc` for errors.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REDACTED = "<BOT_TOKEN>"
_secrets: set[str] = set()
_base_factory: Callable[..., logging.LogRecord] | None = None

# Loggers that log payloads (statements with their parameters) at DEBUG; held at INFO.
_PAYLOAD_LOGGERS = ("aiosqlite",)
# One INFO line per HTTP request, job run or migration step: noise, except at DEBUG.
_NOISY_LOGGERS = ("httpx", "httpcore", "apscheduler", "alembic")
# Image and chart internals (every PNG chunk, every font considered): never wanted.
_CHATTY_LOGGERS = ("PIL", "matplotlib")
_ENDPOINT = re.compile(r"endpoint `([^`]*)`")
_UPDATE_ID = re.compile(r"update_id=(\d+)|'update_id': (\d+)")
# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


USER_TEXT = "<user text>"
# Shorter texts ("No", "5") are too common to find and replace without garbling ids.
MIN_USER_TEXT = 4
_user_texts: ContextVar[tuple[str, ...]] = ContextVar("user_texts", default=())


def _scrub(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for said in _user_texts.get():
        if said in text:
            text = text.replace(said, USER_TEXT)
    return text


def redact(text: str) -> str:
    """`text` with every registered secret (and the current update's user text) replaced;
    for output that bypasses logging (PTB's InvalidToken message quotes the whole token)."""
    return _scrub(text)


def _texts_of(update: Any) -> tuple[str, ...]:
    found: list[str] = []
    for message in (getattr(update, "message", None), getattr(update, "edited_message", None)):
        if message is not None:
            found += [message.text or "", message.caption or ""]
    query = getattr(update, "callback_query", None)
    if query is not None:
        found.append(query.data or "")
    user = getattr(update, "effective_user", None)
    if user is not None:
        found += [user.first_name or "", user.last_name or "", user.username or ""]
    # Longest first, so a text containing a name is replaced whole.
    return tuple(sorted({t for t in found if len(t) >= MIN_USER_TEXT}, key=len, reverse=True))


@contextmanager
def user_text(update: Any) -> Iterator[None]:
    """While handling `update`: its person's words and names never reach a log or a report."""
    token = _user_texts.set(_texts_of(update))
    try:
        yield
    finally:
        _user_texts.reset(token)


def current_user_texts() -> tuple[str, ...]:
    return _user_texts.get()


def _without_payload(record: logging.LogRecord, message: str) -> str | None:
    """A shorter message for records that would carry update contents, else None."""
    name = record.name
    if not name.startswith("telegram"):
        return None
    if message.startswith("Calling Bot API endpoint") or message.startswith("Call to Bot API endpoint"):
        found = _ENDPOINT.search(message)
        endpoint = found.group(1) if found else "?"
        if message.startswith("Calling"):
            return f"Calling Bot API endpoint `{endpoint}` (parameters not logged)"
        return f"Call to Bot API endpoint `{endpoint}` finished (result not logged)"
    if message.startswith("Processing update") or message.startswith("Dropping pending update"):
        update = record.args[0] if isinstance(record.args, tuple) and record.args else None
        update_id = getattr(update, "update_id", None)
        if update_id is None:
            found = _UPDATE_ID.search(message)
            update_id = (found.group(1) or found.group(2)) if found else "?"
        return f"{message.split(' update', 1)[0]} update {update_id} (contents not logged)"
    if message.startswith("Can not load invalid JSON data"):
        return "Can not load invalid JSON data (contents not logged)"
    return None


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's bug, not ours to hide
        return record
    cleaned = _without_payload(record, message)
    if cleaned is None:
        cleaned = _scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if (_secrets or _user_texts.get()) and record.exc_info and record.exc_info[1] is not None:
        record.exc_text = _scrub(logging.Formatter().formatException(record.exc_info))
    return record


def _install_factory() -> None:
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_factory)


def add_secret(secret: str) -> None:
    """Redact `secret` from every log record from now on."""
    if not secret:
        return
    _secrets.add(secret)
    _install_factory()


def _telegram_error(record: logging.LogRecord) -> BaseException | None:
    if not record.name.startswith("telegram") or not record.exc_info:
        return None
    exc = record.exc_info[1]
    from telegram.error import TelegramError

    return exc if isinstance(exc, TelegramError) else None


class CalmTelegramErrors(logging.Filter):
    """Below DEBUG: PTB's tracebacks of Telegram errors become one line; the ones PTB logs
    right before raising the error to us (which reports it once, with what to do) go."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = _telegram_error(record)
        if exc is None:
            return True
        message = record.getMessage()
        if "Aborting" in message:
            return False
        record.msg, record.args = f"{message} ({type(exc).__name__}: {_scrub(str(exc))})", None
        record.exc_info, record.exc_text = None, None
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return _scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `ts`, `level`, `logger`, `message`, the `extra=` fields,
    and `exc_type`/`exc` (the traceback, in the same line) for errors."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, int | float | bool | str | None) else str(value)
        if record.exc_info and record.exc_info[1] is not None:
            data["exc_type"] = type(record.exc_info[1]).__name__
            data["exc"] = record.exc_text or self.formatException(record.exc_info)
        return _scrub(json.dumps(data, ensure_ascii=False, default=str))


def configure_logging(level: str, token: str, fmt: str = "text") -> None:
    """Everything to stderr, one line per event (JSON with `fmt="json"`)."""
    debug = logging.getLevelName(level) == logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    if not debug:
        handler.addFilter(CalmTelegramErrors())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    _install_factory()
    add_secret(token)
    # One INFO line per HTTP request (with the URL) is noise at best; at DEBUG the operator
    # asked for everything (URLs are redacted like every other record).
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
