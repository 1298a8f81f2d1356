"""The worker: handles stored updates one short transaction each, in per-user order.

Per user, updates run one at a time in this process (an asyncio lock) and across
processes (PostgreSQL: a transaction-scoped advisory lock on the user). The update's
inbox row is claimed first in its transaction (or, fetched by polling and not stored yet,
stored as done: bot/pipeline/intake.py) and only if no earlier update of the same user is
still pending, so order holds even when a later update reaches another process first;
then the routed flow decides, its effects go to the outbox, and everything commits
together. Only after the commit are effects handed to the sender and hold timers started.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import func as sql_func
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from bot.effects import Answer, Card, Edit, Effect, Entry, Priority, Retire, Send
from bot.flows.context import FlowContext, HoldTimer, Sender
from bot.i18n import pick_locale, translator
from bot.logging_setup import user_text
from bot.pipeline import inbox, outbox
from bot.pipeline.intake import Intake
from bot.pipeline.slots import SlotEntry, SlotStore
from bot.pipeline.timings import UPDATE_BUCKETS, Timings
from config import Settings
from db.engine import Database

log = logging.getLogger(__name__)

Router = Callable[[Update, FlowContext], Awaitable[None]]
T = TypeVar("T")

ATTEMPTS = 4
RETRY_DELAYS = (0.2, 1.0, 3.0)
QUEUE_LIMIT = 4096
# An update stored this long ago and still pending belongs to a process that went away.
ORPHAN_AFTER = timedelta(seconds=30)

_TRANSIENT_NAMES = ("DeadlockDetected", "SerializationError", "ConnectionDoesNotExist", "CannotConnectNow")


def is_transient(exc: BaseException) -> bool:
    """A database or network hiccup worth retrying, as opposed to a bug."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return any(name in type(exc.orig).__name__ for name in _TRANSIENT_NAMES)
    return isinstance(exc, OSError)


@dataclass
class WorkerStats:
    handled: int = 0
    duplicates: int = 0
    failed: int = 0
    retried: int = 0
    db_errors: int = 0
    # Seconds from receipt (stored in the inbox) to the commit of what it changed.
    latency: Timings = field(default_factory=lambda: Timings(UPDATE_BUCKETS))


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        bot: Bot,
        router: Router,
        *,
        submit: Callable[[list[outbox.Item]], None],
        start_timers: Callable[[list[HoldTimer]], None],
        now: Callable[[], datetime],
        held: Callable[[], list[int]] = list,
        slots: SlotStore | None = None,
        intake: Intake | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.bot = bot
        self.router = router
        self.submit = submit
        self.start_timers = start_timers
        self.now = now
        self.held = held  # outbox ids the sender already has
        # Shared with the sender: where several processes share the database, the live
        # card's message id is read in the update's own transaction (see `_prefetch`).
        self.slots = slots if slots is not None and slots.shared else None
        # Updates long polling fetched and nobody stored yet: stored here, in the update's
        # own transaction (bot/pipeline/intake.py).
        self.intake = intake
        self.stats = WorkerStats()
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    def busy(self) -> bool:
        """Whether any update or timer flow is being handled or waiting for its user."""
        return bool(self._waiting)

    # ------------------------------------------------------------------ per-user order

    async def _locked(self, key: int, work: Callable[[], Awaitable[T]]) -> T:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                return await work()
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _user_lock(self, ctx_session: Any, key: int) -> None:
        if self.db.is_postgres and key:
            await ctx_session.execute(select(sql_func.pg_advisory_xact_lock(key)))

    # ------------------------------------------------------------------ updates

    async def handle(self, update: Update) -> None:
        """Handle one stored update (from polling, the webhook, or recovery)."""
        key = inbox.user_key(update)
        try:
            await self._locked(key, lambda: self._handle(update, key))
        finally:
            if self.intake is not None:
                self.intake.finished(update.update_id)

    async def _handle(self, update: Update, key: int) -> None:
        # What the person wrote never reaches a log line or an error report (bot/logging_setup.py).
        with user_text(update):
            await self._attempts(update, key)

    async def _attempts(self, update: Update, key: int) -> None:
        for attempt in range(ATTEMPTS):
            try:
                earlier = await self._once(update, key, retry=attempt > 0)
            except Exception as exc:
                if is_transient(exc):
                    self.stats.db_errors += 1
                if is_transient(exc) and attempt + 1 < ATTEMPTS:
                    self.stats.retried += 1
                    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                    log.warning(
                        "update %s: database unavailable (%s); retrying in %.1f s",
                        update.update_id,
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                if is_transient(exc):
                    # Still stored and pending: the sweep handles it once the database is back.
                    log.warning("update %s left pending: database unavailable", update.update_id)
                    return
                await self._fail(update, key, exc)
                return
            if not earlier:
                return
            for stored in earlier:  # an older update of this user is still pending: it goes first
                await self._handle(Update.de_json(json.loads(stored.payload), self.bot), key)

    async def _once(self, update: Update, key: int, *, retry: bool = False) -> list[inbox.Stored]:
        now = self.now()
        fresh = self.intake.row(update.update_id) if self.intake is not None else None
        behind = self.intake.before(update.update_id, key) if self.intake and fresh else []
        locking = self.db.is_postgres and bool(key)
        async with self.db.session() as s:
            received = None
            if behind:  # stored first, as pending: they go before this one (below)
                await inbox.store(await s.connection(), behind)
            if fresh is not None:
                received = await inbox.claim_fresh(s, fresh, now, locking=locking)
            if received is None:
                fresh = None
                if locking:
                    received = await inbox.claim_locking(s, update.update_id, key, now)
                else:
                    received = await inbox.claim(s, update.update_id, key, now)
            if received is None:
                earlier = await inbox.earlier_pending(s, key, update.update_id)
                if not earlier:
                    self.stats.duplicates += 1
                    if retry and update.effective_chat is not None:
                        # The first try committed but its answer was lost: what it decided is
                        # in the outbox, not in the sender. Deliver it now, not after its lease.
                        held = set(self.held())
                        stray = await outbox.for_chat(s, update.effective_chat.id, update.update_id)
                        self.submit([item for item in stray if item.id not in held])
                self._stored(behind)
                return earlier
            ctx = FlowContext(s, self.settings, now)
            mark = self.slots.mark() if self.slots is not None else 0
            await self.router(update, ctx)
            ctx.finish()
            items = await outbox.add(s, ctx.effects, now, origin=update.update_id)
            await self._prefetch(s, ctx, mark)
        self._stored([*behind, fresh] if fresh is not None else behind)
        self.stats.handled += 1
        waited = (self.now() - received).total_seconds()
        self.stats.latency.observe(waited)
        user = update.effective_user
        log.info(
            "update %s (%s) from user %s handled in %.0f ms",
            update.update_id,
            kind(update),
            user.id if user else None,
            waited * 1000,
            extra={
                "update_id": update.update_id,
                "user_id": user.id if user else None,
                "kind": kind(update),
                "ms": round(waited * 1000, 1),
            },
        )
        self.submit(items)
        if ctx.timers:
            self.start_timers(ctx.timers)
        return []

    def _stored(self, rows: list[dict[str, Any]]) -> None:
        """Rows of fetched updates this transaction stored, now committed."""
        if self.intake is not None:
            for row in rows:
                self.intake.stored(cast(int, row["update_id"]))

    async def _prefetch(self, s: Any, ctx: FlowContext, mark: int) -> None:
        """The slots these effects edit, read now (unless the flow read them already, at
        write count `mark`): the sender then needs no transaction (a pool checkout and a
        round trip on PostgreSQL) before it can edit the card."""
        if self.slots is None:
            return
        keys = [(entry.chat_id, slot) for entry in ctx.effects if (slot := _slot_of(entry.effect))]
        if keys:
            known = {key: SlotEntry(*card) if card else None for key, card in ctx.slots_read.items()}
            await self.slots.prefetch(s, keys, known=known, known_at=mark)

    async def _fail(self, update: Update, key: int, exc: BaseException) -> None:
        """A bug: log it with ids (never the user's text), apologise, and move on."""
        self.stats.failed += 1
        chat = update.effective_chat
        user = update.effective_user
        log.error(
            "update %s (chat %s, user %s) failed: %s",
            update.update_id,
            chat.id if chat else None,
            user.id if user else None,
            type(exc).__name__,
            exc_info=exc,
            extra={
                "update_id": update.update_id,
                "user_id": user.id if user else None,
                "chat_id": chat.id if chat else None,
            },
        )
        tr = translator(pick_locale(user.language_code if user else None))
        entries: list[Entry] = []
        if chat is not None and chat.type == "private":
            if update.callback_query is not None:
                entries.append(Entry(chat.id, Answer(update.callback_query.id)))
            entries.append(
                Entry(
                    chat.id,
                    Send(tr._("Sorry, something went wrong on my side. Please try again in a moment.")),
                )
            )
        fresh = self.intake.row(update.update_id) if self.intake is not None else None
        try:
            async with self.db.session() as s:
                if fresh is not None:  # not stored yet (bot/pipeline/intake.py): kept, as failed
                    await inbox.store(await s.connection(), [fresh])
                await inbox.mark_failed(s, update.update_id, type(exc).__name__, self.now())
                items = await outbox.add(s, entries, self.now())
        except Exception as second:
            log.warning(
                "could not record the failure of update %s: %s", update.update_id, type(second).__name__
            )
            return
        self._stored([fresh] if fresh is not None else [])
        self.submit(items)

    # ------------------------------------------------------------------ internal events

    async def run(
        self,
        key: int,
        flow: Callable[[FlowContext], Awaitable[None]],
        *,
        priority: Priority = Priority.FOLLOW_UP,
        who: Sender | None = None,
    ) -> None:
        """Run a flow that no update started (a timer firing) the same way: user order,
        one transaction, effects after commit. Transient failures are retried."""

        async def once() -> None:
            now = self.now()
            async with self.db.session() as s:
                await self._user_lock(s, key)
                ctx = FlowContext(s, self.settings, now, who=who, priority=priority)
                mark = self.slots.mark() if self.slots is not None else 0
                await flow(ctx)
                items = await outbox.add(s, ctx.effects, now)
                await self._prefetch(s, ctx, mark)
            self.submit(items)
            if ctx.timers:
                self.start_timers(ctx.timers)

        async def attempts() -> None:
            for attempt in range(ATTEMPTS):
                try:
                    await once()
                    return
                except Exception as exc:
                    if not is_transient(exc) or attempt + 1 == ATTEMPTS:
                        log.error("internal flow for %s failed: %s", key, type(exc).__name__, exc_info=exc)
                        return
                    await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])

        await self._locked(key, attempts)

    # ------------------------------------------------------------------ recovery

    async def pending(self, *, older_than: timedelta = timedelta(0)) -> list[Update]:
        """Stored updates still waiting: all of them at start-up, older ones in the sweep."""
        async with self.db.session() as s:
            stored = await inbox.pending(s, self.now() - older_than)
        return [Update.de_json(json.loads(row.payload), self.bot) for row in stored]


def _slot_of(effect: Effect) -> str | None:
    if isinstance(effect, Card | Retire):
        return effect.slot
    if isinstance(effect, Edit) and effect.message_id is None:
        return effect.slot
    return None


def kind(update: Update) -> str:
    """What sort of update, in a word for the log (never its contents)."""
    if update.callback_query is not None:
        return "button"
    message = update.message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        if message.location is not None:
            return "location"
        return "other message"
    if update.edited_message is not None:
        return "edit"
    if update.my_chat_member is not None:
        return "membership"
    if update.channel_post is not None:
        return "channel post"
    return "other"


class InboxProcessor(BaseUpdateProcessor):
    """PTB's update processor, handing every update to the worker.

    PTB's own routing (`Application.process_update`) is not used: the worker routes inside
    its transaction. The semaphore of the base class bounds updates handled at once.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.worker: Worker | None = None
        # Set when the process stops: PTB's Application.stop() runs every update it already
        # took from its queue (a 10k backlog kept a stop busy for minutes). Each is stored
        # and still pending in the inbox, so it is left to the next start instead.
        self.stopping = False
        self.left: int = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        close = getattr(coroutine, "close", None)
        if close is not None:
            close()
        if self.stopping:
            self.left += 1
            return
        if isinstance(update, Update) and self.worker is not None:
            await self.worker.handle(update)

    async def initialize(self) -> None:
        """Nothing to open: the worker is set up by the runtime."""

    async def shutdown(self) -> None:
        """Nothing to close."""
