"""The sender: the one way out to Telegram.

Effects arrive after their transaction committed (from the worker, the reminder
dispatcher, timers, or the outbox after a crash). The sender keeps Telegram's limits
(a global pace of `rate` messages a second with no bursts, and a short burst per chat),
delivers each chat's effects in order (an answer to a button goes alongside the next one),
and serves a person's own tap before anything else:
the reminder broadcast only gets the budget that replies leave. Telegram's answers are
booked in small batches (outbox rows deleted, slots and reminder rows updated).

Delivery is at least once: a process that dies after Telegram accepted a message but
before the booking sends it again when its outbox rows are taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaAnimation,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.effects import Answer, Card, Edit, Effect, Keyboard, Priority, Retire, Send, SendFile
from bot.pipeline import outbox
from bot.pipeline.callwindow import priority as call_priority
from bot.pipeline.media import MediaStore, is_stale_file
from bot.pipeline.outbox import Item
from bot.pipeline.slots import SlotEntry, SlotStore
from bot.pipeline.timings import REMINDER_BUCKETS, Timings
from bot.pipeline.worker import is_transient
from bot.renderers import render
from db.engine import Database, again_if_lost
from db.models import ReminderLog, User

log = logging.getLogger(__name__)

# Telegram's wording for edits that cannot happen; the effect is then sent anew or dropped.
GONE = ("message to edit not found", "message can't be edited", "message_id_invalid", "message to delete")
NOT_MODIFIED = "message is not modified"
QUERY_GONE = ("query is too old", "query id is invalid")
MAX_CAPTION = 1024
MAX_AGE_SECONDS = 3600.0  # give up on an effect Telegram kept refusing for an hour
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
# A turn taken late (timer granularity, another task holding the event loop) is not lost:
# the pace may fall this far behind and catch up. Without it every late wake-up stretched
# the interval and broadcasts ran at ~0.97 of the rate. A burst after a pause is at most
# rate x 0.1 + 1 messages, and any one second holds at most rate + 1 (25/s: 26 of Telegram's 30).
CATCH_UP_SECONDS = 0.1
# Bookkeeping of broadcasts alone (reminders sent, their outbox rows) is gathered for up
# to this long or this many deliveries, so a broadcast is booked in a few set-based
# statements per batch instead of a transaction for every one or two reminders; anything
# else (a reply, a card's message id, a blocked chat) is booked after `flush_interval`.
BROADCAST_FLUSH_SECONDS = 0.5
BROADCAST_FLUSH_ITEMS = 200


@dataclass
class SenderStats:
    sent: int = 0
    answered: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    retry_after_total: float = 0.0
    blocked: int = 0
    uploads: int = 0
    reminders_sent: int = 0
    # Reminders that did not reach their person (refused, given up, or the person blocked the bot).
    reminders_failed: int = 0
    # Bookkeeping transactions that failed (retried).
    db_errors: int = 0
    # Seconds from a reminder's due time to Telegram accepting it.
    reminder_delay: Timings = field(default_factory=lambda: Timings(REMINDER_BUCKETS))


@dataclass
class _Chat:
    queue: deque[Item] = field(default_factory=deque)
    busy: bool = False  # an effect that keeps the chat's order is in flight
    flying: int = 0  # calls in flight, answers included
    # Monotonic times of recent counted calls, for the per-chat burst limit.
    recent: deque[float] = field(default_factory=deque)
    not_before: float = 0.0
    queued_in: Priority | None = None  # which ready list holds it, if any


def inline(markup: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not markup:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in markup]
    )


def _counts(effect: Effect) -> bool:
    """Whether the call counts against Telegram's message limits (answers do not)."""
    return not isinstance(effect, Answer)


def _in_order(effect: Effect) -> bool:
    """Whether the chat's next effect waits for this one. An answer to a button only stops
    its spinner: the edit it comes with goes out at once, not a round trip later."""
    return not isinstance(effect, Answer)


class Sender:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        rate: float,
        chat_burst: int = 3,
        chat_window: float = 1.0,
        concurrency: int = 64,
        broadcast_concurrency: int = 24,
        media: MediaStore | None = None,
        now: Callable[[], datetime],
        flush_interval: float = 0.05,
        broadcast_flush_interval: float = BROADCAST_FLUSH_SECONDS,
    ) -> None:
        self.bot = bot
        self.db = db
        self.interval = 1.0 / rate
        self.chat_burst = chat_burst
        self.chat_window = chat_window
        self.concurrency = concurrency
        self.broadcast_concurrency = broadcast_concurrency
        self.media = media or MediaStore(db, bot)
        self.slots = SlotStore(db)
        self.now = now
        self.flush_interval = flush_interval
        self.broadcast_flush_interval = broadcast_flush_interval
        self.stats = SenderStats()

        self._chats: dict[int, _Chat] = {}
        self._ready: dict[Priority, deque[int]] = {p: deque() for p in Priority}
        self._deferred: list[tuple[float, int]] = []  # (monotonic time, chat) heap
        self._next_token = 0.0
        # Counted sends scheduled in the last second: never more than rate + 1, whatever the
        # catch-up allows, so replies are picked before broadcasts under that cap. The hard
        # limit, on calls as they leave, is bot/pipeline/callwindow.py (rate + 2).
        self._window: deque[float] = deque()
        self._window_cap = int(rate) + 1
        self._paused_until = 0.0
        self._in_flight = 0
        self._broadcast_in_flight = 0
        self._queued = {p: 0 for p in Priority}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._stopping = False
        # Bookkeeping waiting for the next flush.
        self._done_ids: list[int] = []
        self._reminders: list[dict[str, Any]] = []
        self._blocked: set[int] = set()
        self._flush_wake = asyncio.Event()
        # Set when bookkeeping must not wait for a broadcast batch to fill.
        self._flush_now = False
        self._flush_lock = asyncio.Lock()
        self._flushed = asyncio.Event()
        self._flushed.set()
        self.on_blocked: Callable[[int], Awaitable[None]] | None = None

    # ------------------------------------------------------------------ intake

    def submit(self, items: list[Item]) -> None:
        """Queue committed effects; each chat's in id order."""
        for item in sorted(items, key=lambda i: i.id):
            chat = self._chats.setdefault(item.chat_id, _Chat())
            chat.queue.append(item)
            self._queued[item.priority] += 1
            self._make_ready(item.chat_id, chat)
        if items:
            self._idle.clear()
            self._wake.set()

    def backlog(self, priority: Priority | None = None) -> int:
        if priority is None:
            return sum(self._queued.values())
        return self._queued[priority]

    def holds(self) -> list[int]:
        """Outbox ids this process still has to deliver (their leases are renewed)."""
        return [item.id for chat in self._chats.values() for item in chat.queue]

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._run(), name="sender")
            self._flush_task = asyncio.create_task(self._flush_loop(), name="sender-bookkeeping")

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything queued is delivered and booked (tests, benchmarks, shutdown)."""

        async def settled() -> None:
            while True:
                await self._idle.wait()
                self._flush_now = True
                self._flush_wake.set()
                await asyncio.sleep(0)
                await self._flushed.wait()
                if self._idle.is_set() and not self._done_ids and not self._reminders and not self._blocked:
                    return

        await asyncio.wait_for(settled(), timeout)

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish what is in flight (bounded), book it, and leave the rest to the outbox."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        for task in (self._loop_task, self._flush_task):
            if task is not None:
                # Never halfway through a flush: a transaction cancelled mid-way makes the
                # connection pool log an error with a traceback on every such stop.
                async with self._flush_lock:
                    task.cancel()
                    try:
                        await task
                    except (asyncio.CancelledError, Exception):
                        pass
        self._loop_task = self._flush_task = None
        try:
            await self._flush()
            # What was not sent may be taken over at once by the next start.
            held = self.holds()
            if held:
                async with self.db.session() as s:
                    await outbox.renew(s, held, self.now() - outbox.LEASE)
        except Exception as exc:
            log.warning(
                "sender: final bookkeeping failed (%s); the outbox keeps the rest", type(exc).__name__
            )

    # ------------------------------------------------------------------ scheduling

    def _make_ready(self, chat_id: int, chat: _Chat) -> None:
        if chat.busy or not chat.queue:
            return
        best = min(item.priority for item in chat.queue)
        if chat.queued_in is not None and chat.queued_in <= best:
            return
        chat.queued_in = best
        self._ready[best].append(chat_id)

    def _pick(self, now: float) -> tuple[int, Item] | None:
        """The next chat to serve: best priority first, skipping chats that must wait."""
        while self._deferred and self._deferred[0][0] <= now:
            _, chat_id = heapq.heappop(self._deferred)
            chat = self._chats.get(chat_id)
            if chat is not None:
                self._make_ready(chat_id, chat)
        for priority in Priority:
            ready = self._ready[priority]
            if priority is Priority.BROADCAST and self._broadcast_in_flight >= self.broadcast_concurrency:
                continue
            for _ in range(len(ready)):
                chat_id = ready.popleft()
                chat = self._chats.get(chat_id)
                if chat is None or chat.queued_in is not priority:
                    continue  # a stale entry: the chat moved up a list or was served
                chat.queued_in = None
                if chat.busy or not chat.queue:
                    continue
                head = chat.queue[0]
                wait = self._chat_wait(chat, head, now)
                if wait > 0:
                    heapq.heappush(self._deferred, (now + wait, chat_id))
                    continue
                return chat_id, head
        return None

    def _turn_wait(self, priority: Priority, now: float) -> float:
        """Seconds until a counted send of this priority may leave.

        A broadcast waits for its turn at the pace. A reply may take the next turn now,
        one interval early, and the broadcast's next send moves back by one: while a
        broadcast fills every turn, a tap would otherwise wait up to a whole interval
        (40 ms at 25/s) for each message of its answer. The pace over time is unchanged,
        and the one-second window still caps any burst.
        """
        lead = 0.0 if priority is Priority.BROADCAST else self.interval
        return max(self._next_token - lead - now, self._window_wait(now))

    def _take_turn(self, now: float) -> None:
        self._next_token = max(now - CATCH_UP_SECONDS, self._next_token) + self.interval
        self._window.append(now)

    def _window_wait(self, now: float) -> float:
        window = self._window
        while window and window[0] <= now - 1.0:
            window.popleft()
        return window[0] + 1.0 - now if len(window) >= self._window_cap else 0.0

    def _chat_wait(self, chat: _Chat, head: Item, now: float) -> float:
        if chat.not_before > now:
            return chat.not_before - now
        if not _counts(head.effect):
            return 0.0
        while chat.recent and chat.recent[0] <= now - self.chat_window:
            chat.recent.popleft()
        if len(chat.recent) >= self.chat_burst:
            return chat.recent[0] + self.chat_window - now
        return 0.0

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        # asyncio.timeout, not wait_for: wait_for (3.11) wraps the wait in a task of its own,
        # a loop turn more before a reply's effect is picked.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(seconds, 0.0)):
                await self._wake.wait()

    async def _run(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            if self._paused_until > now:
                await self._sleep(self._paused_until - now)
                continue
            if self._in_flight >= self.concurrency:
                await self._sleep(1.0)
                continue
            picked = self._pick(now)
            if picked is None:
                if not self._in_flight and not any(c.queue for c in self._chats.values()):
                    self._idle.set()
                timeout = self._deferred[0][0] - now if self._deferred else 1.0
                await self._sleep(timeout)
                continue
            chat_id, item = picked
            if _counts(item.effect):
                wait = self._turn_wait(item.priority, now)
                if wait > 0:
                    # Not our turn yet: put the chat back and wait for the token (a reply
                    # arriving meanwhile is picked first).
                    self._make_ready(chat_id, self._chats[chat_id])
                    await self._sleep(wait)
                    continue
                self._take_turn(now)
                self._chats[chat_id].recent.append(now)
            chat = self._chats[chat_id]
            chat.queue.popleft()
            self._queued[item.priority] -= 1
            chat.busy = _in_order(item.effect)
            chat.flying += 1
            self._in_flight += 1
            if item.priority is Priority.BROADCAST:
                self._broadcast_in_flight += 1
            task = asyncio.create_task(self._deliver(chat_id, item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if not chat.busy:
                self._make_ready(chat_id, chat)

    # ------------------------------------------------------------------ delivery

    async def _deliver(self, chat_id: int, item: Item) -> None:
        chat = self._chats[chat_id]
        requeue = False
        call_priority.set(int(item.priority))  # this task's calls wait at the gate by it
        try:
            await self._execute(item)
            self._done_ids.append(item.id)
            if isinstance(item.effect, Answer):
                self.stats.answered += 1
            else:
                self.stats.sent += 1
        except RetryAfter as exc:
            seconds = exc.retry_after
            wait = seconds.total_seconds() if hasattr(seconds, "total_seconds") else float(seconds)
            self.stats.rate_limited += 1
            self.stats.retry_after_total += wait
            log.warning("Telegram asked to slow down: retry after %.0f s (chat %s)", wait, chat_id)
            self._paused_until = max(self._paused_until, time.monotonic() + wait)
            requeue = True
        except Forbidden:
            self._drop_chat(chat_id, chat, item)
        except BadRequest as exc:
            self._bad_request(item, exc)
        except (TimedOut, NetworkError) as exc:
            requeue = self._retry(chat, item, exc)
        except TelegramError as exc:
            log.error("Telegram refused %s for chat %s: %s", item.effect.kind, chat_id, exc)
            self._give_up(item)
        except Exception as exc:
            if is_transient(exc):
                # The database (which message is the card, a file id) is briefly away: the
                # effect is committed, so it waits and goes out later rather than never.
                requeue = self._retry(chat, item, exc)
            else:
                log.exception("delivering %s to chat %s failed", item.effect.kind, chat_id)
                self._give_up(item)
        finally:
            if requeue:
                chat.queue.appendleft(item)
                self._queued[item.priority] += 1
            if _in_order(item.effect):
                chat.busy = False
            chat.flying -= 1
            self._in_flight -= 1
            if item.priority is Priority.BROADCAST:
                self._broadcast_in_flight -= 1
            if chat.queue:
                self._make_ready(chat_id, chat)
            elif not chat.busy and not chat.flying and chat.not_before <= time.monotonic():
                self._chats.pop(chat_id, None)
            if item.priority is not Priority.BROADCAST:
                self._flush_now = True
            self._flush_wake.set()
            self._wake.set()

    def _retry(self, chat: _Chat, item: Item, exc: Exception) -> bool:
        now = time.monotonic()
        if item.failing_since is None:
            item.failing_since = now
        attempts = item.attempts
        if now - item.failing_since > MAX_AGE_SECONDS:
            log.warning(
                "giving up on %s for chat %s after %d attempts", item.effect.kind, item.chat_id, attempts
            )
            self._give_up(item)
            return False
        self.stats.retried += 1
        delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
        log.info(
            "delivery to chat %s failed (%s); retrying in %.1f s",
            item.chat_id,
            type(exc).__name__,
            delay,
        )
        chat.not_before = now + delay
        item.attempts = attempts + 1
        heapq.heappush(self._deferred, (chat.not_before, item.chat_id))
        return True

    def _bad_request(self, item: Item, exc: BadRequest) -> None:
        message = str(exc).lower()
        if NOT_MODIFIED in message or any(g in message for g in QUERY_GONE):
            self._done_ids.append(item.id)
            return
        log.error("Telegram refused %s for chat %s: %s", item.effect.kind, item.chat_id, exc)
        self._give_up(item)

    def _give_up(self, item: Item, status: str = "failed") -> None:
        """The effect will not be delivered: its row goes, and a reminder says why."""
        if status == "failed":
            self.stats.failed += 1
        self._done_ids.append(item.id)
        self._book(item, status)

    def _drop_chat(self, chat_id: int, chat: _Chat, item: Item) -> None:
        """The user blocked the bot: nothing more goes to them until they come back."""
        self.stats.blocked += 1
        log.info(
            "user in chat %s blocked the bot; dropping %d queued effects",
            chat_id,
            len(chat.queue) + 1,
            extra={"chat_id": chat_id},
        )
        for queued in chat.queue:
            self._queued[queued.priority] -= 1
            self._book(queued, "blocked")
        chat.queue.clear()
        self._blocked.add(chat_id)
        self._flush_now = True
        self._give_up(item, "blocked")

    async def _execute(self, item: Item) -> None:
        effect = item.effect
        chat_id = item.chat_id
        if isinstance(effect, Answer):
            await self.bot.answer_callback_query(effect.query_id, text=effect.text)
        elif isinstance(effect, Send):
            message = await self.bot.send_message(chat_id, effect.text, reply_markup=self._markup(effect))
            if effect.slot:
                self.slots.put(chat_id, effect.slot, SlotEntry(message.message_id, "text", None))
        elif isinstance(effect, Edit):
            await self._edit(chat_id, effect)
        elif isinstance(effect, Card):
            await self._card(chat_id, effect)
        elif isinstance(effect, Retire):
            await self._retire(chat_id, effect)
        elif isinstance(effect, SendFile):
            await self._file(chat_id, effect)
        else:  # pragma: no cover - every effect type is handled above
            raise TypeError(f"unknown effect {effect!r}")
        self._book(item, "sent")

    def _book(self, item: Item, status: str) -> None:
        """What Telegram did with a tracked effect (a reminder: sent, failed or blocked)."""
        kind, _, value = (item.track or "").partition(":")
        if kind != "reminder":
            return
        if status == "sent":
            self.stats.reminders_sent += 1
        else:
            self.stats.reminders_failed += 1
        self._reminders.append(
            {"rid": int(value), "st": status, "at": self.now() if status == "sent" else None}
        )

    def _markup(self, effect: Send) -> Any:
        if effect.keyboard:
            return inline(effect.keyboard)
        if effect.reply_keyboard is not None:
            rk = effect.reply_keyboard
            rows: list[list[KeyboardButton]] = []
            if rk.location_label:
                rows.append([KeyboardButton(rk.location_label, request_location=True)])
            rows.extend([KeyboardButton(label) for label in row] for row in rk.rows)
            return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        if effect.remove_reply_keyboard:
            return ReplyKeyboardRemove()
        return None

    async def _edit(self, chat_id: int, effect: Edit) -> None:
        entry: SlotEntry | None = None
        message_id = effect.message_id
        if message_id is None and effect.slot:
            entry = await self.slots.get(chat_id, effect.slot)
            message_id = entry.message_id if entry else None
        if message_id is None:
            if effect.fallback_send:
                await self._send_text(chat_id, effect.text, effect.keyboard, effect.slot)
            return
        try:
            if entry is not None and entry.kind == "animation":
                await self.bot.edit_message_caption(
                    chat_id, message_id, caption=effect.text, reply_markup=inline(effect.keyboard)
                )
            else:
                await self.bot.edit_message_text(
                    effect.text, chat_id, message_id, reply_markup=inline(effect.keyboard)
                )
        except BadRequest as exc:
            if NOT_MODIFIED in str(exc).lower():
                return
            if any(g in str(exc).lower() for g in GONE) and effect.fallback_send:
                await self._send_text(chat_id, effect.text, effect.keyboard, effect.slot)
                return
            raise

    async def _send_text(self, chat_id: int, text: str, markup: Keyboard | None, slot: str | None) -> Message:
        message = await self.bot.send_message(chat_id, text, reply_markup=inline(markup))
        if slot:
            self.slots.put(chat_id, slot, SlotEntry(message.message_id, "text", None))
        return message

    async def _card(self, chat_id: int, card: Card) -> None:
        """Edit the live card in place when its kind allows, else send it anew."""
        old = await self.slots.get(chat_id, card.slot)
        file_id = await self.media.file_id(card.media) if card.media else None
        # A caption holds 1024 characters: a longer card (a long translation) goes as text.
        fits = len(card.text) <= MAX_CAPTION
        media_ok = fits and (card.media is None or file_id is not None or self.media.available(card.media))
        want = "animation" if card.media and media_ok else "text"
        if old is not None and not card.renew and old.kind == want:
            try:
                if want == "text":
                    await self.bot.edit_message_text(
                        card.text, chat_id, old.message_id, reply_markup=inline(card.keyboard)
                    )
                elif old.media_key == card.media:
                    await self.bot.edit_message_caption(
                        chat_id, old.message_id, caption=card.text, reply_markup=inline(card.keyboard)
                    )
                else:
                    assert card.media is not None
                    media_id = file_id or await self.media.upload_id(card.media)
                    if media_id is None:
                        raise BadRequest("message can't be edited")
                    await self.bot.edit_message_media(
                        InputMediaAnimation(media_id, caption=card.text),
                        chat_id,
                        old.message_id,
                        reply_markup=inline(card.keyboard),
                    )
                    self.slots.put(chat_id, card.slot, SlotEntry(old.message_id, "animation", card.media))
                return
            except BadRequest as exc:
                text = str(exc).lower()
                if NOT_MODIFIED in text:
                    return
                if is_stale_file(exc) and card.media:
                    await self.media.forget(card.media)
                elif not any(g in text for g in GONE):
                    raise
        if want == "animation":
            assert card.media is not None
            message = await self.media.send(chat_id, card.media, card.text, inline(card.keyboard))
            self.stats.uploads = self.media.uploads
            entry = SlotEntry(message.message_id, "animation", card.media)
        else:
            message = await self.bot.send_message(chat_id, card.text, reply_markup=inline(card.keyboard))
            entry = SlotEntry(message.message_id, "text", None)
        self.slots.put(chat_id, card.slot, entry)
        if old is not None and old.message_id != message.message_id:
            try:
                await self.bot.delete_message(chat_id, old.message_id)
            except TelegramError as exc:
                log.debug("old card not deleted: %s", exc)

    async def _retire(self, chat_id: int, effect: Retire) -> None:
        entry = await self.slots.get(chat_id, effect.slot)
        if entry is None:
            return
        try:
            if effect.text is None:
                await self.bot.delete_message(chat_id, entry.message_id)
            elif entry.kind == "animation":
                await self.bot.edit_message_caption(chat_id, entry.message_id, caption=effect.text)
            else:
                await self.bot.edit_message_text(effect.text, chat_id, entry.message_id)
        except BadRequest as exc:
            log.debug("retire of %s skipped: %s", effect.slot, exc)
        # Forgotten only now: a retry after a network error or a 5xx must still find the
        # message, or the old card would keep its buttons.
        self.slots.forget(chat_id, effect.slot)

    async def _file(self, chat_id: int, effect: SendFile) -> None:
        made = await render(effect.renderer, effect.data)
        if made is None:
            return
        markup = inline(effect.keyboard)
        if made.kind == "photo":
            await self.bot.send_photo(chat_id, made.data, caption=effect.caption, reply_markup=markup)
        else:
            await self.bot.send_document(
                chat_id, made.data, filename=made.filename, caption=effect.caption, reply_markup=markup
            )

    # ------------------------------------------------------------------ bookkeeping

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._flush_wake.wait()
            self._flush_wake.clear()
            await asyncio.sleep(self.flush_interval)
            until = loop.time() + self.broadcast_flush_interval - self.flush_interval
            while (
                not self._flush_now
                and len(self._done_ids) < BROADCAST_FLUSH_ITEMS
                and loop.time() < until
            ):
                self._flush_wake.clear()
                try:
                    async with asyncio.timeout(until - loop.time()):
                        await self._flush_wake.wait()
                except TimeoutError:
                    break
                if self._flush_now:
                    # A reply's call just ended: its next one (the edit after the answer)
                    # goes first, as on the first wake-up above; the flush was landing in
                    # between in half of the taps measured (bench_taps, stage trace).
                    await asyncio.sleep(self.flush_interval)
            self._flush_now = False
            try:
                async with self._flush_lock:
                    await self._flush()
            except Exception as exc:
                self.stats.db_errors += 1
                log.warning("sender bookkeeping failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
                self._flush_wake.set()

    async def _flush(self) -> None:
        await again_if_lost(self._flush_once)  # a failed flush puts everything back first

    async def _flush_once(self) -> None:
        done, reminders, blocked = self._done_ids, self._reminders, self._blocked
        slot_writes = self.slots.pending()
        media_writes = self.media.pending()
        if not (done or reminders or blocked or slot_writes or media_writes):
            self._flushed.set()
            return
        self._flushed.clear()
        self._done_ids, self._reminders, self._blocked = [], [], set()
        try:
            async with self.db.session() as s:
                if done:
                    await outbox.remove(s, done)
                for chat_id in blocked:
                    await outbox.remove_chat(s, chat_id)
                    await s.execute(
                        update(User)
                        .where(User.chat_id == chat_id)
                        .values(blocked=True, next_reminder_at=None)
                    )
                if reminders:
                    table = ReminderLog.__table__
                    assert isinstance(table, Table)
                    await s.execute(
                        update(table)
                        .where(table.c.id == bindparam("rid"))
                        .values(status=bindparam("st"), sent_at=bindparam("at")),
                        reminders,
                    )
                    delays = await self._reminder_delays(s, reminders)
                await self.slots.write(s, slot_writes)
                await self.media.write(s, media_writes)
        except Exception:
            self._done_ids[:0] = done
            self._reminders[:0] = reminders
            self._blocked |= blocked
            self.slots.requeue(slot_writes)
            self.media.requeue(media_writes)
            self._flushed.set()
            raise
        if reminders:
            for delay in delays:
                self.stats.reminder_delay.observe(delay)
        for chat_id in blocked:
            if self.on_blocked is not None:
                await self.on_blocked(chat_id)
        self._flushed.set()

    async def _reminder_delays(self, s: Any, reminders: list[dict[str, Any]]) -> list[float]:
        """Seconds from each sent reminder's due time to its sending (for /metrics)."""
        sent_at = {r["rid"]: r["at"] for r in reminders if r["st"] == "sent"}
        ids = list(sent_at)
        delays: list[float] = []
        for start in range(0, len(ids), 1000):
            batch = ids[start : start + 1000]
            query = select(ReminderLog.id, ReminderLog.due_at).where(ReminderLog.id.in_(batch))
            rows = await s.execute(query)
            delays += [(sent_at[rid] - due_at).total_seconds() for rid, due_at in rows]
        return delays
