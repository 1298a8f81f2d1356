"""Optional error reporting to Sentry, when SENTRY_DSN is set.

sentry-sdk is imported only then (`pip install 'stretch-coach[sentry]'`). Errors logged at
ERROR become events, INFO lines their breadcrumbs. What leaves the machine is scrubbed in
`before_send` / `before_breadcrumb`:

- the bot token and the webhook secret (anywhere: URLs of HTTP breadcrumbs, messages,
  exception values), as in the logs;
- what a person wrote and their names, while their update is handled (exception values
  that quote them; see `bot.logging_setup.user_text`);
- SQL parameters quoted in database errors (they hold update payloads and answers);
- request bodies and cookies (never read: `max_request_body_size="never"`), local
  variables of stack frames (`include_local_variables=False`), and personal data (the
  SDK's default: no user details, IP addresses or SQL parameters).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.logging_setup import add_secret, redact
from config import Settings

log = logging.getLogger(__name__)

SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.S)
DROPPED_HEADERS = {"cookie", "authorization", "x-telegram-bot-api-secret-token"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return SQL_PARAMETERS.sub("[parameters: not sent]", redact(value))
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """What is sent for an error: no bodies, no cookies, no token, no user text."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    cleaned: dict[str, Any] = _clean(event)
    return cleaned


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    cleaned: dict[str, Any] = _clean(crumb)
    return cleaned


def init_error_reporting(settings: Settings, *, transport: Any = None) -> bool:
    """Start sending errors to SENTRY_DSN; False (with one warning) if sentry-sdk is missing."""
    dsn = settings.sentry_dsn.get_secret_value().strip()
    if not dsn:
        return False
    add_secret(settings.token.strip())
    add_secret(settings.webhook_secret.get_secret_value())
    try:
        import sentry_sdk
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError:
        log.warning(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'stretch-coach[sentry]'; "
            "errors are only logged"
        )
        return False
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = f"stretch-coach@{version('stretch-coach')}"
    except PackageNotFoundError:
        release = None
    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": settings.sentry_environment or None,
        "release": release,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": scrub_event,
        "before_breadcrumb": scrub_breadcrumb,
        "integrations": [LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    log.info("error reporting to Sentry is on")
    return True
