"""What long polling fetched, until it is stored: the gate before Telegram's acknowledgement.

Telegram counts an update delivered once the next getUpdates asks for a higher offset, so
everything fetched must be in the inbox before that call. Storing each batch in a commit
of its own before handing it on put a second commit (on PostgreSQL a second fsync) on
every update's path. Instead the worker stores a fetched update in the very transaction
that handles it (`inbox.claim_fresh`); the next getUpdates first waits briefly for those
transactions and stores whatever is still unstored itself, in one statement. If that
fails, so does the getUpdates call: the offset is not sent and Telegram keeps the updates.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import cast

from telegram import Update

from bot.pipeline import inbox

Row = dict[str, object]

# How long the next getUpdates waits for the worker to store what the last one fetched
# before storing it itself. A tap's transaction takes ~5 ms; a backlog (100 updates a
# batch, 8 at a time) or a database retry takes longer, and is stored by the gate instead.
ACK_WAIT = 0.1


class Intake:
    def __init__(
        self,
        store: Callable[[Sequence[Row]], Awaitable[None]],
        now: Callable[[], datetime],
        wait: float = ACK_WAIT,
    ) -> None:
        self._store = store
        self._now = now
        self.wait = wait
        self._rows: dict[int, Row] = {}  # fetched, not known to be stored
        self._handling: set[int] = set()  # ... of which the worker may still store
        self._idle = asyncio.Event()
        # Stopping: the worker takes no more updates, so the gate stores at once.
        self.closing = False

    def fetched(self, updates: Sequence[Update], payloads: Sequence[str | None]) -> None:
        now = self._now()
        for update, payload in zip(updates, payloads, strict=True):
            self._rows[update.update_id] = inbox.to_row(update, now, payload)
            self._handling.add(update.update_id)
        if self._handling:
            self._idle.clear()

    def row(self, update_id: int) -> Row | None:
        """The update's row if the worker should store it itself (not stored yet)."""
        return self._rows.get(update_id)

    def before(self, update_id: int, key: int) -> list[Row]:
        """Earlier fetched updates of the same user still unstored: one the worker gave up
        on for now (the database was away) must not be overtaken by this one."""
        return [
            row
            for uid, row in self._rows.items()
            if uid < update_id and row["user_key"] == key and uid not in self._handling
        ]

    def stored(self, update_id: int) -> None:
        """The worker committed the update's row."""
        self._rows.pop(update_id, None)
        self.finished(update_id)

    def finished(self, update_id: int) -> None:
        """The worker is done with the update, whatever came of it."""
        self._handling.discard(update_id)
        if not self._handling:
            self._idle.set()

    def waiting(self) -> tuple[int, datetime | None]:
        """Fetched updates not stored yet and the oldest one's receipt (for /metrics)."""
        received = [cast(datetime, row["received_at"]) for row in self._rows.values()]
        return len(received), min(received, default=None)

    async def settle(self) -> None:
        """Everything fetched so far is stored when this returns (or it raises)."""
        if not self._rows:
            return
        if self._handling and not self.closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.wait):
                    await self._idle.wait()
        rows = list(self._rows.values())
        if not rows:
            return
        await self._store(rows)  # a row the worker committed meanwhile is ignored
        for row in rows:
            update_id = cast(int, row["update_id"])
            self._rows.pop(update_id, None)
            self._handling.discard(update_id)
        if not self._handling:
            self._idle.set()
