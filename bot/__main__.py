"""`python -m bot [run|webhook|demo|pictures DIR|catalogs ...]`.

run: long polling (default). webhook: serve Telegram's webhook on $PORT. demo: chat with
the bot in the terminal, no token, no network. pictures: write every exercise
illustration to a folder. catalogs: re-extract and check the message catalogs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError

from config import ConfigError, Settings, load_settings
from db.engine import Database
from db.migrate import upgrade

log = logging.getLogger("bot")

# Exit codes (documented in the README).
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_TELEGRAM = 4
EXIT_PORT = 5


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Stretch Coach Telegram bot")
    parser.add_argument(
        "mode",
        nargs="?",
        default="run",
        choices=("run", "webhook", "demo", "pictures", "catalogs"),
        help="run: long polling (default); webhook: serve $PORT; demo: chat in the terminal with no "
        "token and no network; pictures DIR: write the exercise illustrations; catalogs: message catalogs",
    )
    parser.add_argument("args", nargs="*", help="pictures: the folder; catalogs: update | check")
    parser.add_argument("--webhook", action="store_true", help="same as the 'webhook' mode")
    parser.add_argument("--fast", type=float, default=None, help="demo: speed hold timers up by this factor")
    parser.add_argument("--lang", default="en", help="demo: the language Telegram reports (en, de, es, ru)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.mode != "catalogs":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.args += extra  # catalogs' own options, e.g. check --allow-untranslated
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
        from tgemu.demo import run_demo

        return run_demo(speedup=args.fast or 10.0, language=args.lang)
    if args.mode == "pictures":
        from bot.illustrations import write_all

        if len(args.args) != 1:
            print("usage: python -m bot pictures DIR", file=sys.stderr)
            return EXIT_CONFIG
        for path in write_all(args.args[0]):
            print(path)
        return 0
    if args.mode == "catalogs":
        from bot.catalogs import main as catalogs_main

        return catalogs_main(args.args)
    try:
        settings = load_settings()
        token = settings.require_token()
        if args.mode == "webhook":
            check_webhook_config(settings)
    except ConfigError as exc:
        print(f"stretch-coach: {exc}", file=sys.stderr)
        return EXIT_CONFIG

    from bot.logging_setup import configure_logging, redact

    configure_logging(settings.log_level, token)
    try:
        asyncio.run(prepare_database(settings))
    except Exception as exc:
        print(f"stretch-coach: cannot prepare the database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    log.info("database ready; starting in %s mode", args.mode)
    try:
        asyncio.run(serve(settings, args.mode))
    except (NetworkError, InvalidToken) as exc:
        # PTB's InvalidToken quotes the token itself: redact what bypasses logging too.
        print(
            f"stretch-coach: cannot reach Telegram: {type(exc).__name__}: {redact(str(exc))}", file=sys.stderr
        )
        return EXIT_TELEGRAM
    except OSError as exc:
        print(
            f"stretch-coach: cannot listen on {settings.listen}:{settings.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_PORT
    return 0


async def serve(settings: Settings, mode: str) -> None:
    """Run until SIGTERM/SIGINT: start, serve updates, stop in order."""
    from bot.app import ALLOWED_UPDATES, Runtime
    from bot.pipeline.webserver import WebServer, bind, build_web_app

    webhook = mode == "webhook"
    db = Database(settings.database_url)
    runtime = Runtime(settings, db, polling=not webhook)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server: WebServer | None = None
    server_task: asyncio.Task[None] | None = None
    try:
        sock = bind(settings.listen, settings.port) if webhook else None
        await runtime.start()
        if webhook:
            from bot.logging_setup import add_secret

            secret = settings.webhook_secret.get_secret_value()
            add_secret(secret)
            url = settings.webhook_url.strip()
            app = build_web_app(
                bot=runtime.bot,
                accept=runtime.accept_webhook,
                path=urlsplit(url).path,
                secret=secret,
                liveness=runtime.liveness,
                readiness=runtime.readiness,
            )
            assert sock is not None
            server = WebServer(app, sock)
            server_task = asyncio.create_task(server.serve())
            await runtime.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            log.info("webhook: listening on %s:%s%s", settings.listen, server.port, urlsplit(url).path or "/")
        else:
            assert runtime.app.updater is not None
            await runtime.app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, error_callback=runtime.polling_error
            )
            log.info("polling for updates")
        await stop.wait()
        log.info("stopping")
    finally:
        if server is not None:
            server.stop()
        if server_task is not None:
            await server_task
        await runtime.stop()
        await db.dispose()
        log.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
