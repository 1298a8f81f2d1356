"""`python -m bot [run|webhook|demo]`: long polling (default), webhook server, or console demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from config import ConfigError, Settings, load_settings
from db.engine import Database
from db.migrate import upgrade

log = logging.getLogger("bot")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Stretch Coach Telegram bot")
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "webhook", "demo"),
                        help="run: long polling (default); webhook: serve $PORT; demo: chat in the "
                        "terminal with no token and no network")
    parser.add_argument("--webhook", action="store_true", help="same as the 'webhook' mode")
    parser.add_argument("--fast", type=float, default=None,
                        help="demo only: speed hold timers up by this factor (e.g. 10)")
    args = parser.parse_args(argv)
    if args.webhook:
        args.mode = "webhook"
    return args


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
        if args.mode == "webhook" and not settings.webhook_url:
            raise ConfigError("WEBHOOK_URL is not set; webhook mode needs the public HTTPS URL "
                              "Telegram should call (e.g. https://example.com/telegram).")
    except ConfigError as exc:
        print(f"stretch-coach: {exc}", file=sys.stderr)
        return 2

    from bot.app import build_application
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level, token)
    try:
        asyncio.run(prepare_database(settings))
    except Exception as exc:
        print(f"stretch-coach: cannot prepare the database: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 3
    log.info("database ready; starting in %s mode", args.mode)
    app = build_application(settings, Database(settings.database_url))
    try:
        _serve(app, settings, args.mode)
    except (NetworkError, InvalidToken) as exc:
        print(f"stretch-coach: cannot reach Telegram: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 4
    return 0


def _serve(app: Application, settings: Settings, mode: str) -> None:  # type: ignore[type-arg]
    from bot.app import ALLOWED_UPDATES

    if mode == "webhook":
        secret = settings.webhook_secret.get_secret_value() or None
        url_path = settings.webhook_url.rstrip("/").rsplit("/", 1)[-1]
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=url_path,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    sys.exit(main())
