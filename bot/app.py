"""One bot process: PTB's Application for the Bot, the Updater and the JobQueue, around our
pipeline (inbox -> worker -> outbox -> sender), the reminder dispatcher and the timers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import BotCommand, Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot import views
from bot.i18n import SUPPORTED, translator
from bot.metrics import Metrics
from bot.pipeline import inbox, outbox
from bot.pipeline.callwindow import CallWindow, window_for
from bot.pipeline.dispatch import Dispatcher
from bot.pipeline.intake import Intake
from bot.pipeline.polling import InboxBot, PollHealth
from bot.pipeline.sender import Sender
from bot.pipeline.timers import Timers
from bot.pipeline.worker import ORPHAN_AFTER, InboxProcessor, Worker
from bot.routes import route
from config import Settings
from db.engine import Database, again_if_lost

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHANNEL_POST,
    Update.MY_CHAT_MEMBER,
]
SWEEP_SECONDS = 15.0
HOLD_SWEEP_SECONDS = 5.0
PRUNE_SECONDS = 3600.0
# How long a stop waits for the periodic chores already running.
CHORES_STOP_SECONDS = 5.0
# SQLite: the WAL is copied into the database file in the background, not inside commits
# (db/onetrip.py); a checkpoint with nothing new to copy costs a few system calls.
CHECKPOINT_SECONDS = 1.0
# Readiness: getUpdates must have answered within this (a long poll returns every 10 s;
# PTB's back-off after errors reaches 30 s).
POLL_STALE_SECONDS = 60.0
# Readiness: the reminder dispatcher must have run within this many intervals (at least 2 min).
DISPATCH_STALE_INTERVALS = 4
DISPATCH_STALE_MIN_SECONDS = 120.0
PROBE_TIMEOUT = 3.0


class Failure(Exception):
    """Something the process cannot carry on from; `kind` picks the exit code (bot/__main__.py)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _system_now() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """Builds and runs everything; `start()`/`stop()` bracket a process's life."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        request: BaseRequest | None = None,
        get_updates_request: BaseRequest | None = None,
        clock: Callable[[], datetime] | None = None,
        polling: bool = True,
        jobs: bool = True,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock or _system_now
        self.jobs = jobs
        self._chores = 0  # periodic chores running now (see `_chores_done`)
        self._no_chores = asyncio.Event()
        bot = InboxBot(
            settings.require_token(),
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url,
            request=request or HTTPXRequest(connection_pool_size=128, read_timeout=15.0, write_timeout=30.0),
            get_updates_request=get_updates_request or HTTPXRequest(connection_pool_size=1),
            rate_limiter=CallWindow(window_for(settings.send_rate_per_second)),
        )
        processor = InboxProcessor(settings.concurrent_updates)
        builder = ApplicationBuilder().bot(bot).concurrent_updates(processor)
        if not polling:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.bot = bot
        self.sender = Sender(bot, db, rate=settings.send_rate_per_second, now=self.now)
        self.intake = Intake(self._store_rows, self.now)
        self.worker = Worker(
            db,
            settings,
            bot,
            route,
            submit=self.sender.submit,
            start_timers=lambda timers: self.timers.start(timers),
            now=self.now,
            held=self.sender.holds,
            slots=self.sender.slots,
            intake=self.intake,
        )
        processor.worker = self.worker
        self.processor = processor
        self.timers = Timers(self.app.job_queue, self.worker, settings.timer_scale)
        self.dispatcher = Dispatcher(db, settings, self.sender, self.now)
        bot.set_intake(self.intake)
        self.started_at: datetime | None = None
        self._menu_task: asyncio.Task[None] | None = None
        # Health: database errors outside the worker, sender and dispatcher, by component;
        # how polling goes (None in webhook mode); a failure that ends the process.
        self.db_errors: Counter[str] = Counter()
        self.poll_health: PollHealth | None = PollHealth() if polling else None
        self.webhook_up: Callable[[], bool] | None = None
        self.failure: Failure | None = None
        self.failed = asyncio.Event()
        bot.set_poll_observer(self.observe_poll)
        self.metrics = Metrics(self)

    def now(self) -> datetime:
        return self.clock() + timedelta(seconds=self.settings.clock_offset_seconds)

    # ------------------------------------------------------------------ intake

    async def store_updates(
        self, updates: Sequence[Update], payloads: Sequence[str | None] | None = None
    ) -> None:
        """Store updates in one transaction (a webhook's, before it answers Telegram)."""
        now = self.now()
        rows = [
            inbox.to_row(update, now, payloads[i] if payloads is not None else None)
            for i, update in enumerate(updates)
        ]
        await self._store_rows(rows)

    async def _store_rows(self, rows: Sequence[dict[str, object]]) -> None:
        async def store() -> None:  # storing twice is harmless: a stored update_id is ignored
            async with self.db.one_statement() as conn:
                await inbox.store(conn, rows)

        try:
            await again_if_lost(store)
        except Exception:
            self.db_errors["intake"] += 1
            raise

    async def accept_webhook(self, update: Update, payload: str) -> None:
        await self.store_updates([update], [payload])
        await self.app.update_queue.put(update)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, menu_later: bool = False) -> None:
        """Connect, recover what an earlier run left, start the sender, jobs and processing.

        menu_later: leave the command menu to `set_menu_soon()` (four setMyCommands calls that
        `python -m bot` makes once it polls instead of before: ~40 ms less until getUpdates).
        """
        await self.app.initialize()
        self.started_at = self.now()
        self.sender.start()
        if not menu_later:
            await self._set_commands()
        await self._recover()
        if self.jobs and self.app.job_queue is not None:
            jq = self.app.job_queue
            jq.run_repeating(
                self._dispatch_tick, self.settings.dispatch_interval_seconds, first=1.0, name="dispatch"
            )
            jq.run_repeating(self._sweep, SWEEP_SECONDS, first=SWEEP_SECONDS, name="sweep")
            jq.run_repeating(self._hold_sweep, HOLD_SWEEP_SECONDS, first=HOLD_SWEEP_SECONDS, name="holds")
            jq.run_repeating(self._prune, PRUNE_SECONDS, first=60.0, name="prune")
            if not self.db.is_postgres:
                every = CHECKPOINT_SECONDS
                jq.run_repeating(self._checkpoint, every, first=every, name="checkpoint")
        await self.app.start()

    async def start_polling(self) -> None:
        """Long polling (PTB's Updater, our getUpdates storing before it confirms)."""
        assert self.app.updater is not None and self.poll_health is not None
        self.poll_health.started = time.monotonic()
        await self.app.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, error_callback=self.polling_error
        )

    def set_menu_soon(self) -> None:
        """Set the command menu in the background (after polling or the webhook is up)."""
        if self._menu_task is None:
            self._menu_task = asyncio.create_task(self._set_commands(), name="command-menu")

    async def stop(self) -> None:
        if self._menu_task is not None and not self._menu_task.done():
            self._menu_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menu_task
        self.intake.closing = True  # what polling fetched is stored at once (its last getUpdates)
        if self.app.updater is not None and self.app.updater.running:
            try:
                await self.app.updater.stop()
            except TelegramError as exc:  # polling ended on it already (a revoked token): said once
                log.debug("polling had stopped: %s", type(exc).__name__)
        try:  # fetched but unconfirmed (the Updater's last getUpdates failed): kept all the same
            await self.intake.settle()
        except Exception as exc:
            log.warning("fetched updates not stored (%s): Telegram sends them again", type(exc).__name__)
        await self.dispatcher.stop()
        await self._chores_done()
        if self.app.running:
            # Updates not yet begun wait in the inbox for the next start (what polling
            # fetched was stored just above): none is taken from PTB's queue or run any more.
            self.processor.stopping = True
            queue = self.app.update_queue
            while not queue.empty():
                queue.get_nowait()
                queue.task_done()  # Application.stop() joins the queue
                self.processor.left += 1
            await self.app.stop()
            if self.processor.left:
                log.info("%d stored updates left for the next start", self.processor.left)
        await self.sender.stop()
        await self.app.shutdown()

    async def _set_commands(self) -> None:
        """The command menu in every language, English as the default."""
        try:
            for locale in SUPPORTED:
                commands = [
                    BotCommand(name, text) for name, text in views.general.commands(translator(locale))
                ]
                code = None if locale == "en" else locale
                await self.bot.set_my_commands(commands, language_code=code)
        except TelegramError as exc:
            log.warning("command menu not set: %s", exc)

    async def _recover(self) -> None:
        """Stored but unhandled updates first, then effects no process is delivering."""
        for update in await self.worker.pending():
            await self.app.update_queue.put(update)
        await self._take_orphans(everything=not self.db.is_postgres)

    async def _take_orphans(self, *, everything: bool = False) -> None:
        # One process per SQLite file: at start-up every row left in the outbox is ours,
        # whatever its lease says (a clock set back since must not hide any of them).
        async with self.db.session() as s:
            items = await outbox.take_orphans(s, self.now(), limit=5000, any_lease=everything)
        if items:
            log.info("outbox: delivering %d effects left by an earlier run", len(items))
            self.sender.submit(items)

    # ------------------------------------------------------------------ jobs

    async def _dispatch_tick(self, _: object) -> None:
        self.dispatcher.kick()

    async def _sweep(self, _: object) -> None:
        await self._housekeep("sweep", self._sweep_once)

    async def _sweep_once(self) -> None:
        for update in await self.worker.pending(older_than=ORPHAN_AFTER):
            await self.app.update_queue.put(update)
        await self._take_orphans()
        held = self.sender.holds()
        if held:
            async with self.db.session() as s:
                await outbox.renew(s, held, self.now())

    async def _hold_sweep(self, _: object) -> None:
        await self._housekeep("hold sweep", self.timers.sweep)

    async def _prune(self, _: object) -> None:
        await self._housekeep("prune", self._prune_once)

    async def _prune_once(self) -> None:
        async with self.db.session() as s:
            removed = await inbox.prune(s, self.now())
        if removed:
            log.info("inbox: pruned %d handled updates", removed)

    async def _checkpoint(self, _: object) -> None:
        await self._housekeep("WAL checkpoint", self.db.checkpoint)

    async def _housekeep(self, what: str, work: Callable[[], Awaitable[object]]) -> None:
        """A periodic chore: a failure is counted and logged, and the next run tries again."""
        self._chores += 1
        self._no_chores.clear()
        try:
            await work()
        except Exception as exc:
            self.db_errors["housekeeping"] += 1
            log.warning("%s skipped: %s", what, type(exc).__name__)
        finally:
            self._chores -= 1
            if not self._chores:
                self._no_chores.set()

    async def _chores_done(self, timeout: float = CHORES_STOP_SECONDS) -> None:
        """No new chore starts, and the ones running finish (bounded): Application.stop()
        cancels a running job, which APScheduler logs as an error with a traceback."""
        job_queue = self.app.job_queue
        if job_queue is not None and job_queue.scheduler.running:
            job_queue.scheduler.pause()
        if self._chores:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_chores.wait(), timeout)

    # ------------------------------------------------------------------ health

    def fail(self, kind: str, message: str) -> None:
        """End the process: `serve()` stops everything in order and exits with the kind's code."""
        if self.failure is None:
            self.failure = Failure(kind, message)
            self.failed.set()

    def observe_poll(self, exc: TelegramError | None) -> None:
        """Every getUpdates outcome: health, the second-poller check, a revoked token."""
        health = self.poll_health
        if health is None:
            return
        now = time.monotonic()
        if exc is None:
            health.ok += 1
            health.last_ok, health.last_ok_unix = now, time.time()
            if health.conflict_since is not None and self.failure is None:
                log.info("getUpdates answers again: no other process is polling now")
            health.conflict_since, health.conflicts_in_a_row = None, 0
            return
        if isinstance(exc, InvalidToken):
            self.fail(
                "token",
                "Telegram no longer accepts BOT_TOKEN (401 Unauthorized): it was revoked or the bot "
                "deleted. Put the current token from @BotFather in BOT_TOKEN and start again.",
            )
            return
        if isinstance(exc, Conflict):
            self._conflict(exc, now)
            return
        health.errors += 1

    def _conflict(self, exc: Conflict, now: float) -> None:
        """Telegram's 409: another process polls with this token (or a webhook is set).

        Telegram ends the older of two long polls with 409, so both processes meet it in
        turn. The one that meets it within POLL_CONFLICT_WINDOW_SECONDS of starting to poll
        is the newcomer: it exits when the conflict repeats (a single one can be the previous
        process's last call as it stops during a restart). The older process warns once and
        keeps polling.
        """
        health = self.poll_health
        assert health is not None
        health.conflicts += 1
        health.conflicts_in_a_row += 1
        webhook = "webhook" in str(exc).lower()
        if health.conflict_since is None:
            health.conflict_since = now
            polling_for = now - (health.started if health.started is not None else now)
            health.newcomer = polling_for <= self.settings.poll_conflict_window_seconds
            if webhook:
                log.warning(
                    "getUpdates refused: a webhook is set for this bot (409 Conflict); another process "
                    "runs in webhook mode. Run one mode per token; retrying"
                )
            elif health.newcomer:
                log.warning(
                    "another process is polling with this token (409 Conflict) and this one started "
                    "%.0f s ago: it stops if the conflict repeats",
                    polling_for,
                )
            else:
                log.warning(
                    "another process is polling with this token (409 Conflict); this one has polled for "
                    "%.0f s and keeps polling, the newcomer stops by itself. If this repeats, find the "
                    "other process: one polling process per token",
                    polling_for,
                )
            return
        if health.newcomer and not webhook and health.conflicts_in_a_row >= 2:
            self.fail(
                "conflict",
                "another process is already polling with this token (Telegram answers 409 Conflict), "
                "so this one, the newer, stops. Stop the other process first, or run several processes "
                "in webhook mode.",
            )
            return
        log.debug("getUpdates: 409 Conflict again (%d in a row)", health.conflicts_in_a_row)

    def polling_error(self, exc: TelegramError) -> None:
        """getUpdates failed: PTB retries with back-off; one line per failure, no traceback."""
        if isinstance(exc, Conflict):
            return  # observe_poll() decides and says it once
        log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc)

    async def liveness(self) -> tuple[bool, dict[str, object]]:
        """The process is up and its event loop answers."""
        return True, {"status": "alive"}

    async def readiness(self) -> tuple[bool, dict[str, object]]:
        """Database reachable, updates arriving (polling or the webhook server), the reminder
        dispatcher running; each check with its details."""
        checks: dict[str, dict[str, object]] = {
            "database": await self._check_database(),
            "updates": self._check_updates(),
        }
        if self.jobs:
            checks["reminders"] = self._check_dispatcher()
        ok = all(bool(check["ok"]) for check in checks.values())
        return ok, {"checks": checks}

    async def _check_database(self) -> dict[str, object]:
        from sqlalchemy import text

        async def ping() -> None:
            async with self.db.session() as s:
                await s.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(ping(), PROBE_TIMEOUT)
        except Exception as exc:
            self.db_errors["probe"] += 1
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True}

    def _check_updates(self) -> dict[str, object]:
        health = self.poll_health
        if health is None:
            up = self.webhook_up() if self.webhook_up is not None else False
            return {"ok": up, "mode": "webhook", "server": "up" if up else "down"}
        if health.started is None:
            return {"ok": False, "mode": "polling", "error": "not polling yet"}
        now = time.monotonic()
        since = now - max(health.started, health.last_ok or health.started)
        details: dict[str, object] = {"mode": "polling", "seconds_since_success": round(since, 1)}
        if health.conflict_since is not None:
            return {"ok": False, **details, "error": "409 Conflict: another process polls with this token"}
        if since > POLL_STALE_SECONDS:
            return {"ok": False, **details, "error": "getUpdates has not succeeded recently"}
        return {"ok": True, **details}

    def _check_dispatcher(self) -> dict[str, object]:
        last = self.dispatcher.stats.last_run_at or self.started_at
        if last is None:
            return {"ok": False, "error": "not started"}
        since = (self.now() - last).total_seconds()
        limit = max(
            DISPATCH_STALE_MIN_SECONDS, DISPATCH_STALE_INTERVALS * self.settings.dispatch_interval_seconds
        )
        details: dict[str, object] = {"seconds_since_run": round(since, 1)}
        if since > limit:
            return {"ok": False, **details, "error": "the reminder dispatcher has not run recently"}
        return {"ok": True, **details}

    async def metrics_text(self) -> tuple[bytes, str]:
        return await self.metrics.render()

    # ------------------------------------------------------------------ for tests and benchmarks

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until queued updates are handled and every effect delivered."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            await self.sender.drain(max(0.1, deadline - asyncio.get_running_loop().time()))
            if self.app.update_queue.empty() and not self.worker.busy():
                await asyncio.sleep(0)
                if self.sender.backlog() == 0 and self.app.update_queue.empty() and not self.worker.busy():
                    return
            await asyncio.sleep(0.005)
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not settle")
