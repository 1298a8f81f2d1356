"""One bot process: PTB's Application for the Bot, the Updater and the JobQueue, around our
pipeline (inbox -> worker -> outbox -> sender), the reminder dispatcher and the timers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot import views
from bot.i18n import SUPPORTED, translator
from bot.pipeline import inbox, outbox
from bot.pipeline.dispatch import Dispatcher
from bot.pipeline.polling import InboxBot
from bot.pipeline.sender import Sender
from bot.pipeline.timers import Timers
from bot.pipeline.worker import ORPHAN_AFTER, InboxProcessor, Worker
from bot.routes import route
from config import Settings
from db.engine import Database

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
        bot = InboxBot(
            settings.require_token(),
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url,
            request=request or HTTPXRequest(connection_pool_size=128, read_timeout=15.0, write_timeout=30.0),
            get_updates_request=get_updates_request or HTTPXRequest(connection_pool_size=1),
        )
        processor = InboxProcessor(settings.concurrent_updates)
        builder = ApplicationBuilder().bot(bot).concurrent_updates(processor)
        if not polling:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.bot = bot
        self.sender = Sender(bot, db, rate=settings.send_rate_per_second, now=self.now)
        self.worker = Worker(
            db,
            settings,
            bot,
            route,
            submit=self.sender.submit,
            start_timers=lambda timers: self.timers.start(timers),
            now=self.now,
        )
        processor.worker = self.worker
        self.timers = Timers(self.app.job_queue, self.worker, settings.timer_scale)
        self.dispatcher = Dispatcher(db, settings, self.sender, self.now)
        bot.set_store(self.store_updates)
        self.started_at: datetime | None = None

    def now(self) -> datetime:
        return self.clock() + timedelta(seconds=self.settings.clock_offset_seconds)

    # ------------------------------------------------------------------ intake

    async def store_updates(self, updates: Sequence[Update], payloads: Sequence[str] | None = None) -> None:
        """Store fetched updates in one transaction; they are confirmed only after this."""
        now = self.now()
        rows = [
            inbox.to_row(update, now, payloads[i] if payloads is not None else None)
            for i, update in enumerate(updates)
        ]
        async with self.db.session() as s:
            await inbox.store(s, rows)

    async def accept_webhook(self, update: Update, payload: str) -> None:
        await self.store_updates([update], [payload])
        await self.app.update_queue.put(update)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect, recover what an earlier run left, start the sender, jobs and processing."""
        await self.app.initialize()
        self.started_at = self.now()
        self.sender.start()
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
        await self.app.start()

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        await self.dispatcher.stop()
        if self.app.running:
            await self.app.stop()
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
        # One process per SQLite file: at start-up every row left in the outbox is ours.
        now = self.now() + (outbox.LEASE if everything else timedelta(0))
        async with self.db.session() as s:
            items = await outbox.take_orphans(s, now, limit=5000)
        if items:
            log.info("outbox: delivering %d effects left by an earlier run", len(items))
            self.sender.submit(items)

    # ------------------------------------------------------------------ jobs

    async def _dispatch_tick(self, _: object) -> None:
        self.dispatcher.kick()

    async def _sweep(self, _: object) -> None:
        try:
            for update in await self.worker.pending(older_than=ORPHAN_AFTER):
                await self.app.update_queue.put(update)
            await self._take_orphans()
            held = self.sender.holds()
            if held:
                async with self.db.session() as s:
                    await outbox.renew(s, held, self.now())
        except Exception as exc:
            log.warning("sweep skipped: %s", type(exc).__name__)

    async def _hold_sweep(self, _: object) -> None:
        try:
            await self.timers.sweep()
        except Exception as exc:
            log.warning("hold sweep skipped: %s", type(exc).__name__)

    async def _prune(self, _: object) -> None:
        try:
            async with self.db.session() as s:
                removed = await inbox.prune(s, self.now())
            if removed:
                log.info("inbox: pruned %d handled updates", removed)
        except Exception as exc:
            log.warning("prune skipped: %s", type(exc).__name__)

    # ------------------------------------------------------------------ health

    def polling_error(self, exc: TelegramError) -> None:
        """getUpdates failed: PTB retries with back-off; one line per failure, no traceback."""
        log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc)

    async def liveness(self) -> tuple[bool, dict[str, object]]:
        return True, {"status": "alive"}

    async def readiness(self) -> tuple[bool, dict[str, object]]:
        from sqlalchemy import text

        try:
            async with self.db.session() as s:
                await s.execute(text("SELECT 1"))
            database = True
        except Exception:
            database = False
        return database, {"database": database}

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
