"""Which message a slot (a session's live card) is, as the sender learned it from Telegram.

Kept in memory for the edits that follow at once, and in the `chat_slots` table so that
another process, or this one after a restart, edits the same message.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.store import upsert
from db.engine import Database
from db.models import ChatSlot, utcnow

CACHE_SIZE = 20_000
# A slot read with the decision is used for the delivery that follows within this long
# (a reply waits seconds at most, even in a busy minute); later, the table is asked again.
HINT_SECONDS = 10.0

Key = tuple[int, str]


@dataclass(frozen=True)
class SlotEntry:
    message_id: int
    kind: str  # "text" | "animation"
    media_key: str | None


_SLOTS: Any = ChatSlot.__table__
_PREFETCH = select(
    _SLOTS.c.chat_id, _SLOTS.c.slot, _SLOTS.c.message_id, _SLOTS.c.kind, _SLOTS.c.media_key
).where(
    _SLOTS.c.chat_id.in_(bindparam("chats", expanding=True)),
    _SLOTS.c.slot.in_(bindparam("slots", expanding=True)),
)


class SlotStore:
    def __init__(self, db: Database, *, shared: bool | None = None) -> None:
        self.db = db
        # On PostgreSQL several processes may serve one chat (the next tap can reach any of
        # them), so a remembered slot can be stale: read the table, trusting memory only for
        # what this process wrote and has not booked yet.
        self.shared = db.is_postgres if shared is None else shared
        self._cache: OrderedDict[Key, SlotEntry | None] = OrderedDict()
        self._writes: dict[Key, SlotEntry | None] = {}
        # Read by the worker in the transaction that decided a card (`prefetch`), so the
        # sender need not open a transaction of its own for it (PostgreSQL: ~3 ms a tap).
        # Each hint carries the write count it was read at (a later write here voids it) and
        # when (an old one is not trusted: another process may have moved the card since).
        self._hints: OrderedDict[Key, tuple[SlotEntry | None, int, float]] = OrderedDict()
        self._written: dict[Key, int] = {}
        self._count = 0

    def _remember(self, key: Key, entry: SlotEntry | None) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def mark(self) -> int:
        """The write count now: a slot read after this is voided by any later write here."""
        return self._count

    async def prefetch(
        self,
        s: AsyncSession,
        keys: list[Key],
        *,
        known: dict[Key, SlotEntry | None] | None = None,
        known_at: int = 0,
    ) -> None:
        """Read these slots in the caller's transaction, for the sender's next `get`; those
        in `known` were read in it already (when the write count was `known_at`)."""
        keys = [key for key in dict.fromkeys(keys) if key not in self._writes]
        if not keys:
            return
        known = known or {}
        count = self._count
        missing = [key for key in keys if key not in known]
        found: dict[Key, SlotEntry | None] = {}
        if missing:
            rows = await s.execute(
                _PREFETCH, {"chats": list({c for c, _ in missing}), "slots": list({n for _, n in missing})}
            )
            found = {(chat, name): SlotEntry(mid, kind, media) for chat, name, mid, kind, media in rows}
        read_at = time.monotonic()
        for key in keys:
            hint = (known[key], known_at) if key in known else (found.get(key), count)
            self._hints[key] = (*hint, read_at)
            self._hints.move_to_end(key)
        while len(self._hints) > CACHE_SIZE:
            self._hints.popitem(last=False)

    async def get(self, chat_id: int, slot: str) -> SlotEntry | None:
        key = (chat_id, slot)
        if key in self._writes:
            return self._writes[key]
        hint = self._hints.pop(key, None)
        if hint is not None:
            entry, count, read_at = hint
            if self._written.get(key, -1) <= count and time.monotonic() - read_at < HINT_SECONDS:
                self._remember(key, entry)
                return entry
        if key in self._cache and not self.shared:
            return self._cache[key]
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(ChatSlot.message_id, ChatSlot.kind, ChatSlot.media_key).where(
                        ChatSlot.chat_id == chat_id, ChatSlot.slot == slot
                    )
                )
            ).first()
        entry = SlotEntry(*row) if row else None
        self._remember(key, entry)
        return entry

    def put(self, chat_id: int, slot: str, entry: SlotEntry) -> None:
        self._note_write((chat_id, slot), entry)

    def forget(self, chat_id: int, slot: str) -> None:
        self._note_write((chat_id, slot), None)

    def _note_write(self, key: Key, entry: SlotEntry | None) -> None:
        self._remember(key, entry)
        self._writes[key] = entry
        self._count += 1
        self._written[key] = self._count
        if len(self._written) > CACHE_SIZE:
            self._written = {k: n for k, n in self._written.items() if n > self._count - CACHE_SIZE}

    def pending(self) -> dict[Key, SlotEntry | None]:
        writes, self._writes = self._writes, {}
        return writes

    def requeue(self, writes: dict[Key, SlotEntry | None]) -> None:
        for key, entry in writes.items():
            self._writes.setdefault(key, entry)

    @staticmethod
    async def write(s: AsyncSession, writes: dict[Key, SlotEntry | None]) -> None:
        now = utcnow()
        rows = [
            {
                "chat_id": chat_id,
                "slot": slot,
                "message_id": entry.message_id,
                "kind": entry.kind,
                "media_key": entry.media_key,
                "updated_at": now,
            }
            for (chat_id, slot), entry in writes.items()
            if entry is not None
        ]
        if rows:
            await upsert(s, ChatSlot, rows, ("chat_id", "slot"))
        for (chat_id, slot), entry in writes.items():
            if entry is None:
                await s.execute(delete(ChatSlot).where(ChatSlot.chat_id == chat_id, ChatSlot.slot == slot))
