"""Which message a slot (a session's live card) is, as the sender learned it from Telegram.

Kept in memory for the edits that follow at once, and in the `chat_slots` table so that
another process, or this one after a restart, edits the same message.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.store import upsert
from db.engine import Database
from db.models import ChatSlot, utcnow

CACHE_SIZE = 20_000

Key = tuple[int, str]


@dataclass(frozen=True)
class SlotEntry:
    message_id: int
    kind: str  # "text" | "animation"
    media_key: str | None


class SlotStore:
    def __init__(self, db: Database, *, shared: bool | None = None) -> None:
        self.db = db
        # On PostgreSQL several processes may serve one chat (the next tap can reach any of
        # them), so a remembered slot can be stale: read the table, trusting memory only for
        # what this process wrote and has not booked yet.
        self.shared = db.is_postgres if shared is None else shared
        self._cache: OrderedDict[Key, SlotEntry | None] = OrderedDict()
        self._writes: dict[Key, SlotEntry | None] = {}

    def _remember(self, key: Key, entry: SlotEntry | None) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def get(self, chat_id: int, slot: str) -> SlotEntry | None:
        key = (chat_id, slot)
        if key in self._writes:
            return self._writes[key]
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
        self._remember((chat_id, slot), entry)
        self._writes[(chat_id, slot)] = entry

    def forget(self, chat_id: int, slot: str) -> None:
        self._remember((chat_id, slot), None)
        self._writes[(chat_id, slot)] = None

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
