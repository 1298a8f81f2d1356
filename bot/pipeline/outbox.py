"""The outbox: effects stored with the state change that decided them, delivered after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import Effect, Entry, Priority, effect_from_json
from db.models import OutboxEffect
from db.short import short

# A row is this process's to deliver until its lease ends; the sender renews the leases of
# what it still holds, so only a dead process's rows are taken over.
LEASE = timedelta(seconds=60)


@dataclass
class Item:
    """A stored effect, as the sender handles it."""

    id: int
    chat_id: int
    priority: Priority
    effect: Effect
    track: str | None
    attempts: int = 0
    failing_since: float | None = None  # monotonic time of the first failed attempt


_TABLE: Any = OutboxEffect.__table__
# Built once (statements are immutable): a tap's transaction runs them, not their building.
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
# A reply's few effects (a tap: the answer and the edit) skip SQLite's thread (db/short.py);
# a reminder batch of hundreds does not.
_INSERT_SHORT = short(_INSERT)
SHORT_ROWS = 4
_INSERT_IN_ORDER = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_REMOVE = delete(_TABLE).where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))


def _json(entry: Entry, origin: int | None) -> dict[str, Any]:
    data = entry.effect.to_json()
    if entry.track:
        data["track"] = entry.track
    if origin is not None:
        data["origin"] = origin
    return data


async def add(
    s: AsyncSession, entries: Sequence[Entry], now: datetime, *, origin: int | None = None
) -> list[Item]:
    """Store effects in the caller's transaction; one statement however many (Core, not the
    ORM's bulk path: a reminder batch is 500 rows). `origin` is the update that decided them."""
    if not entries:
        return []
    lease = now + LEASE
    rows = [
        {
            "chat_id": e.chat_id,
            "priority": int(e.priority),
            "effect": _json(e, origin),
            "created_at": now,
            "lease_until": lease,
            "attempts": 0,
        }
        for e in entries
    ]
    if s.get_bind().dialect.name == "sqlite":
        # SQLAlchemy can only keep RETURNING in parameter order on SQLite one row at a time
        # (500 statements for a reminder batch). Rows of one INSERT get ascending ids in
        # their order (the transaction holds the write lock), so sorted ids match `entries`.
        result = await s.execute(_INSERT_SHORT if len(rows) <= SHORT_ROWS else _INSERT, rows)
        ids = sorted(result.scalars().all())
    else:
        result = await s.execute(_INSERT_IN_ORDER, rows)
        ids = list(result.scalars().all())
    return [Item(i, e.chat_id, e.priority, e.effect, e.track) for i, e in zip(ids, entries, strict=True)]


def _item(row: Any) -> Item:
    data = dict(row.effect)
    track = data.pop("track", None)
    data.pop("origin", None)
    return Item(row.id, row.chat_id, Priority(row.priority), effect_from_json(data), track, row.attempts)


async def take_orphans(
    s: AsyncSession, now: datetime, limit: int = 500, *, any_lease: bool = False
) -> list[Item]:
    """Rows whose lease ran out (their process died): take them over, oldest first.
    With `any_lease`, every row (the only process of a SQLite database, starting up)."""
    query = select(OutboxEffect)
    if not any_lease:
        query = query.where(OutboxEffect.lease_until <= now)
    rows = (
        (await s.execute(query.order_by(OutboxEffect.id).limit(limit).with_for_update(skip_locked=True)))
        .scalars()
        .all()
    )
    if rows:
        await s.execute(
            update(OutboxEffect)
            .where(OutboxEffect.id.in_([r.id for r in rows]))
            .values(lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
    return [_item(r) for r in rows]


async def for_chat(s: AsyncSession, chat_id: int, origin: int) -> list[Item]:
    """What one update decided for a chat and is still undelivered, oldest first. Only its
    own: another process may be delivering the chat's other rows right now."""
    rows = (
        (
            await s.execute(
                select(OutboxEffect).where(OutboxEffect.chat_id == chat_id).order_by(OutboxEffect.id)
            )
        )
        .scalars()
        .all()
    )
    return [_item(r) for r in rows if r.effect.get("origin") == origin]


async def renew(s: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    for start in range(0, len(ids), 1000):
        await s.execute(
            update(OutboxEffect)
            .where(OutboxEffect.id.in_(ids[start : start + 1000]))
            .values(lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )


async def remove(s: AsyncSession, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 1000):
        await s.execute(_REMOVE, {"ids": list(ids[start : start + 1000])})


async def remove_chat(s: AsyncSession, chat_id: int) -> None:
    await s.execute(delete(OutboxEffect).where(OutboxEffect.chat_id == chat_id))


async def retry_later(s: AsyncSession, item_id: int, attempts: int) -> None:
    await s.execute(update(OutboxEffect).where(OutboxEffect.id == item_id).values(attempts=attempts))
