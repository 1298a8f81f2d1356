"""The outbox: effects stored with the state change that decided them, delivered after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import Effect, Entry, Priority, effect_from_json
from db.models import OutboxEffect

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


def _json(entry: Entry) -> dict[str, Any]:
    data = entry.effect.to_json()
    if entry.track:
        data["track"] = entry.track
    return data


async def add(s: AsyncSession, entries: Sequence[Entry], now: datetime) -> list[Item]:
    """Store effects in the caller's transaction; one statement however many."""
    if not entries:
        return []
    lease = now + LEASE
    rows = [
        {
            "chat_id": e.chat_id,
            "priority": int(e.priority),
            "effect": _json(e),
            "created_at": now,
            "lease_until": lease,
            "attempts": 0,
        }
        for e in entries
    ]
    # One multi-row INSERT (an executemany with ordered RETURNING is one statement per row on
    # SQLite). Ids come from the sequence / rowid in VALUES order, so sorted they match
    # `entries`, whatever order RETURNING lists them in.
    stmt = insert(OutboxEffect).values(rows).returning(OutboxEffect.id)
    ids = sorted((await s.execute(stmt)).scalars().all())
    return [Item(i, e.chat_id, e.priority, e.effect, e.track) for i, e in zip(ids, entries, strict=True)]


def _item(row: Any) -> Item:
    data = dict(row.effect)
    track = data.pop("track", None)
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


async def for_chat(s: AsyncSession, chat_id: int) -> list[Item]:
    """A chat's undelivered effects, oldest first."""
    rows = (
        (
            await s.execute(
                select(OutboxEffect).where(OutboxEffect.chat_id == chat_id).order_by(OutboxEffect.id)
            )
        )
        .scalars()
        .all()
    )
    return [_item(r) for r in rows]


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
        await s.execute(delete(OutboxEffect).where(OutboxEffect.id.in_(ids[start : start + 1000])))


async def remove_chat(s: AsyncSession, chat_id: int) -> None:
    await s.execute(delete(OutboxEffect).where(OutboxEffect.chat_id == chat_id))


async def retry_later(s: AsyncSession, item_id: int, attempts: int) -> None:
    await s.execute(update(OutboxEffect).where(OutboxEffect.id == item_id).values(attempts=attempts))
