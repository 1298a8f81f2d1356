"""`python -m bot [run|webhook|demo|pictures DIR|catalogs ...]`.

run: long polling (default). webhook: serve Telegram's webhook on $PORT. demo: chat with
the bot in the terminal, no token, no network. pictures: write every exercise
illustration to a folder. catalogs: re-extract and check the message catalogs.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # Start-up creates ~100k long-lived objects the cyclic collector tracks; it would walk them
    # again and again meanwhile (~10% of the import time). Back on, with those objects frozen
    # out of its way, once the bot is up (_started).
    gc.disable()

import argparse
import asyncio
import logging
import re
import signal
import socket
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError

from config import ConfigError, Settings, load_settings
from db.engine import Database

if TYPE_CHECKING:
    from bot.app import Failure
    from bot.pipeline.webserver import WebServer

log = logging.getLogger("bot")

# Exit codes (documented in the README's "Operating it").
EXIT_CONFIG = 2  # configuration: BOT_TOKEN missing or malformed, webhook settings, a bad value
EXIT_DATABASE = 3  # the database cannot be reached, or migrating it failed
EXIT_TELEGRAM = 4  # Telegram cannot be reached, or it rejected the token or the webhook
EXIT_PORT = 5  # the HTTP port cannot be listened on
EXIT_CONFLICT = 6  # another process already polls with this token; this one, the newer, stopped


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


class StartupError(Exception):
    """A known failure: one line for the operator (what happened, what to do) and an exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _reason(exc: BaseException) -> str:
    """The cause in one short line: the driver's own error, not SQLAlchemy's wrapping."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "DATABASE_URL"


async def _driver_threads_ended(timeout: float = 1.0) -> None:
    """Let aiosqlite's thread of a connection that failed to open finish while this event
    loop still exists: it reports its own stop to the loop, and against a closed loop that
    report prints a stray traceback after our one clear line (seen once in CI)."""
    import threading

    ending = [t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)")]
    for thread in ending:
        await asyncio.to_thread(thread.join, timeout)


async def prepare_database(settings: Settings) -> None:
    """Reach the database, then create and migrate it, before touching the network.

    A database already at the head revision (every restart) costs one query: Alembic is
    imported and run only when there is something to migrate.
    """
    from db.migrate import HEAD, create_if_empty, current_revision, stored_revision, upgrade

    db = Database(settings.database_url)
    where = _safe_url(settings.database_url)
    try:
        try:
            before = await stored_revision(db)
        except Exception as exc:
            log.debug("database check failed", exc_info=exc)
            await _driver_threads_ended()
            raise StartupError(
                EXIT_DATABASE,
                f"cannot reach the database at {where} ({_reason(exc)}). Check DATABASE_URL, and that "
                "the server runs and accepts this user (or that the SQLite file's folder exists and is "
                "writable).",
            ) from None
        if before == HEAD:
            return
        try:
            if before is None and await create_if_empty(db):
                log.info("database created at revision %s", HEAD)
                return
            await upgrade(db)
            after = await current_revision(db)
        except Exception as exc:
            log.debug("migration failed", exc_info=exc)
            raise StartupError(
                EXIT_DATABASE,
                f"migrating the database at {where} failed ({_reason(exc)}); it is at revision {before}. "
                "A newer version of the bot may have migrated it, or a migration failed halfway: restore a "
                "backup, or run `alembic -c db/alembic.ini upgrade head` to see the full error.",
            ) from None
        if after != before:
            log.info(
                "database migrated from %s to revision %s", f"revision {before}" if before else "empty", after
            )
    finally:
        await db.dispose()


def _telegram_failure(exc: TelegramError, settings: Settings) -> StartupError:
    from bot.logging_setup import redact

    host = urlsplit(settings.telegram_base_url).hostname or "the Bot API"
    if isinstance(exc, InvalidToken):
        return StartupError(
            EXIT_TELEGRAM,
            "Telegram rejected BOT_TOKEN (401 Unauthorized): it was revoked, mistyped, or the bot deleted. "
            "Copy the current token from @BotFather (/mybots -> API Token) into BOT_TOKEN.",
        )
    if isinstance(exc, NetworkError):
        return StartupError(
            EXIT_TELEGRAM,
            f"cannot reach Telegram at {host} ({type(exc).__name__}: {redact(str(exc))}). Check the network, "
            "DNS, proxy and firewall (outgoing HTTPS), then start again.",
        )
    return StartupError(
        EXIT_TELEGRAM,
        f"Telegram refused a start-up call ({type(exc).__name__}: {redact(str(exc))}). "
        "Check WEBHOOK_URL (webhook mode) and BOT_TOKEN.",
    )


def _started() -> None:
    """Start-up is over: the collector back on, start-up's objects moved out of its way."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        _started()


def _main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.mode not in ("run", "webhook"):
        _started()
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

    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level, token, settings.log_format)
    if settings.sentry_dsn.get_secret_value():
        from bot.error_reporting import init_error_reporting

        init_error_reporting(settings)
    try:
        asyncio.run(prepare_database(settings))
        log.info("database ready; starting in %s mode", args.mode)
        asyncio.run(serve(settings, args.mode))
    except StartupError as exc:
        _last_words(settings, exc)
        return exc.code
    return 0


def _last_words(settings: Settings, exc: StartupError) -> None:
    """The one line: plain on a terminal (text logs), a JSON record with LOG_FORMAT=json."""
    if settings.log_format == "json":
        log.critical(exc.message, extra={"exit_code": exc.code})
    else:
        print(f"stretch-coach: {exc.message}", file=sys.stderr)


async def serve(settings: Settings, mode: str) -> None:
    """Run until SIGTERM/SIGINT: start, serve updates, stop in order.

    Known failures become a StartupError with one line for the operator; the traceback
    only shows at LOG_LEVEL=DEBUG.
    """
    from bot.app import ALLOWED_UPDATES, Runtime

    webhook = mode == "webhook"
    port = settings.webhook_port if webhook else settings.port
    db = Database(settings.database_url)
    runtime = Runtime(settings, db, polling=not webhook)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server: WebServer | None = None
    server_task: asyncio.Task[None] | None = None
    failure: StartupError | None = None
    sock: socket.socket | None = None
    try:
        if port is not None:
            # Starlette only when there is something to serve (webhook, or health on $PORT).
            from bot.pipeline.webserver import WebServer, bind, build_web_app

            try:
                sock = bind(settings.listen, port)
            except OSError as exc:
                log.debug("bind failed", exc_info=exc)
                raise StartupError(
                    EXIT_PORT,
                    f"cannot listen on {settings.listen}:{port} ({exc.strerror}): another program uses the "
                    "port, or it needs privileges. Stop that program or set PORT to a free port.",
                ) from None
        try:
            await runtime.start(menu_later=True)
        except TelegramError as exc:
            log.debug("start-up call to Telegram failed", exc_info=exc)
            raise _telegram_failure(exc, settings) from None
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(exc, SQLAlchemyError | OSError):
                raise
            log.debug("start-up database work failed", exc_info=exc)
            raise StartupError(
                EXIT_DATABASE,
                f"the database stopped answering during start-up ({_reason(exc)}). Check that it runs, "
                "then start again.",
            ) from None
        url = settings.webhook_url.strip()
        secret = settings.webhook_secret.get_secret_value()
        if webhook:
            from bot.logging_setup import add_secret

            add_secret(secret)
        if sock is not None:
            app = build_web_app(
                bot=runtime.bot,
                accept=runtime.accept_webhook if webhook else None,
                path=urlsplit(url).path,
                secret=secret,
                liveness=runtime.liveness,
                readiness=runtime.readiness,
                metrics=runtime.metrics_text,
            )
            server = WebServer(app, sock)
            runtime.webhook_up = lambda: server is not None and server.started
            server_task = asyncio.create_task(server.serve())
        try:
            if webhook:
                await runtime.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
                _started()
                runtime.set_menu_soon()
                assert server is not None
                log.info(
                    "webhook: listening on %s:%s%s", settings.listen, server.port, urlsplit(url).path or "/"
                )
            else:
                await runtime.start_polling()
                _started()
                runtime.set_menu_soon()
                log.info(
                    "polling for updates%s",
                    f"; health and metrics on {settings.listen}:{server.port}" if server is not None else "",
                )
        except TelegramError as exc:
            log.debug("start-up call to Telegram failed", exc_info=exc)
            raise _telegram_failure(exc, settings) from None
        stopped = asyncio.create_task(stop.wait())
        failed = asyncio.create_task(runtime.failed.wait())
        await asyncio.wait((stopped, failed), return_when=asyncio.FIRST_COMPLETED)
        for task in (stopped, failed):
            task.cancel()
        if runtime.failure is not None:
            failure = _runtime_failure(runtime.failure)
        log.info("stopping")
    finally:
        if server is not None:
            server.stop()
        if server_task is not None:
            await server_task
        elif sock is not None:
            sock.close()  # bound, but start-up failed before serving
        await runtime.stop()
        await db.dispose()
        log.info("stopped")
    if failure is not None:
        raise failure


def _runtime_failure(failure: Failure) -> StartupError:
    code = {"token": EXIT_TELEGRAM, "conflict": EXIT_CONFLICT}.get(failure.kind, EXIT_TELEGRAM)
    return StartupError(code, failure.message)


if __name__ == "__main__":
    sys.exit(main())
