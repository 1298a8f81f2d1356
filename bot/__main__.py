"""`python -m bot [run|webhook|demo]`: long polling (default), webhook server, or console demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from config import ConfigError, Settings, load_settings
from db.engine import Database
from db.migrate import upgrade

log = logging.getLogger("bot")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Stretch Coach Telegram bot")
    parser.add_argument(
        "mode",
        nargs="?",
        default="run",
        choices=("run", "webhook", "demo"),
        help="run: long polling (default); webhook: serve $PORT; demo: chat in the "
        "terminal with no token and no network",
    )
    parser.add_argument("--webhook", action="store_true", help="same as the 'webhook' mode")
    parser.add_argument(
        "--fast", type=float, default=None, help="demo only: speed hold timers up by this factor (e.g. 10)"
    )
    args = parser.parse_args(argv)
    if args.webhook:
        args.mode = "webhook"
    return args


# Telegram's rule for setWebhook's secret_token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def check_webhook_config(settings: Settings) -> None:
    """Webhook mode needs a URL and a secret; without a secret anyone could post updates.

    The secret is never generated here: every process behind the URL must check the same
    value that the last setWebhook registered, so it has to come from shared configuration.
    """
    url = settings.webhook_url.strip()
    if not url:
        raise ConfigError(
            "WEBHOOK_URL is not set; webhook mode needs the public HTTPS URL "
            "Telegram should call (e.g. https://example.com/telegram)."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError("WEBHOOK_URL must be a full URL such as https://example.com/telegram.")
    secret = settings.webhook_secret.get_secret_value()
    if not secret:
        raise ConfigError(
            "WEBHOOK_SECRET is not set; webhook mode refuses to start without it "
            "(Telegram sends it with every update; requests without it get 403). "
            "Give every process the same value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    if not SECRET_PATTERN.match(secret):
        raise ConfigError(
            "WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256 characters), as Telegram requires."
        )


async def prepare_database(settings: Settings) -> None:
    """Create and migrate the database before touching the network."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.mode == "demo":
        from bot.demo import run_demo

        return run_demo(speedup=args.fast or 10.0)
    try:
        settings = load_settings()
        token = settings.require_token()
        if args.mode == "webhook":
            check_webhook_config(settings)
    except ConfigError as exc:
        print(f"stretch-coach: {exc}", file=sys.stderr)
        return 2

    from bot.app import build_application
    from bot.logging_setup import configure_logging, redact

    configure_logging(settings.log_level, token)
    try:
        asyncio.run(prepare_database(settings))
    except Exception as exc:
        print(f"stretch-coach: cannot prepare the database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    log.info("database ready; starting in %s mode", args.mode)
    app = build_application(settings, Database(settings.database_url))
    try:
        _serve(app, settings, args.mode)
    except (NetworkError, InvalidToken) as exc:
        # PTB's InvalidToken quotes the token itself: redact what bypasses logging too.
        print(
            f"stretch-coach: cannot reach Telegram: {type(exc).__name__}: {redact(str(exc))}", file=sys.stderr
        )
        return 4
    return 0


def _serve(app: Application, settings: Settings, mode: str) -> None:  # type: ignore[type-arg]
    from bot.app import ALLOWED_UPDATES

    if mode == "webhook":
        from bot.logging_setup import add_secret

        secret = settings.webhook_secret.get_secret_value()
        add_secret(secret)
        # PTB's tornado server answers POSTs on the path of WEBHOOK_URL (behind a proxy that
        # keeps the path) and refuses a missing or wrong X-Telegram-Bot-Api-Secret-Token with
        # 403 before the update reaches the queue. It serves no other route, so there is no
        # HTTP health endpoint; a platform's TCP check on $PORT works.
        url_path = urlsplit(settings.webhook_url.strip()).path.strip("/")
        log.info("webhook: listening on %s:%s/%s", settings.listen, settings.port, url_path)
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=url_path,
            webhook_url=settings.webhook_url.strip(),
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=3,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    sys.exit(main())
