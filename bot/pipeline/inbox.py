"""The inbox: updates are stored before Telegram is told they arrived, and each is marked
done in the same transaction as the state change it caused."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import bindparam, delete, exists, func, literal, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from telegram import Update

from bot.services.store import short_ignoring_duplicates
from db.models import InboxUpdate
from db.short import short

# Done rows are kept this long, so a redelivered update_id is still recognised.
KEEP_DONE = timedelta(days=2)


def user_key(update: Update) -> int:
    """Whose updates must be handled in order: the person, else the chat, else nobody (0)."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


@dataclass(frozen=True)
class Stored:
    update_id: int
    user_key: int
    payload: str


def to_row(update: Update, now: datetime, payload: str | None = None) -> dict[str, object]:
    return {
        "update_id": update.update_id,
        "user_key": user_key(update),
        "payload": payload if payload is not None else json.dumps(update.to_dict(), ensure_ascii=False),
        "received_at": now,
        "attempts": 0,
    }


async def store(conn: AsyncConnection, rows: Sequence[dict[str, object]]) -> None:
    """Insert updates; an update_id seen before is ignored (Telegram redelivers)."""
    if rows:
        statement = short_ignoring_duplicates(conn.dialect.name, InboxUpdate.__table__)
        # One row (nearly always) as a plain execute: asyncpg's executemany cost 12-30% more.
        await conn.execute(statement, rows[0] if len(rows) == 1 else list(rows))


def _next_in_line(update_id: Any, key: Any, *, lock: bool) -> list[Any]:
    """No earlier update of the user is pending; with `lock`, then the user's advisory lock
    (see `claim_locking`)."""
    earlier: Any = InboxUpdate.__table__.alias("earlier")
    conditions = [
        ~exists().where(
            earlier.c.user_key == key,
            earlier.c.update_id < update_id,
            earlier.c.done_at.is_(None),
        )
    ]
    if lock:
        conditions.append(func.pg_advisory_xact_lock(key).is_not(None))
    return conditions


def _claim_statement(*, lock: bool = False) -> Any:
    table: Any = InboxUpdate.__table__
    update_id: Any = bindparam("claim_update_id")
    key: Any = bindparam("claim_key")
    conditions = [
        table.c.update_id == update_id,
        table.c.done_at.is_(None),
        *_next_in_line(update_id, key, lock=lock),
    ]
    return (
        update(table)
        .where(*conditions)
        .values(done_at=bindparam("claim_now"))
        .returning(table.c.received_at)
    )


# Built once: on every update, building it (an ORM UPDATE with an aliased subquery) cost
# more Python than running it.
# Short (db/short.py): one update's row, found by key.
_CLAIM = short(_claim_statement())
_CLAIM_LOCKING = _claim_statement(lock=True)


async def claim(s: AsyncSession, update_id: int, key: int, now: datetime) -> datetime | None:
    """Mark the update done, provided it is pending and the user's oldest pending update;
    returns when it was received (None: not claimed).

    Runs first in the update's transaction: a rollback un-marks it; on PostgreSQL the row
    lock makes a concurrent claim of the same update wait for this transaction, then fail.
    """
    return await _claim(s, _CLAIM, {"claim_update_id": update_id, "claim_key": key, "claim_now": now})


async def claim_locking(s: AsyncSession, update_id: int, key: int, now: datetime) -> datetime | None:
    """PostgreSQL: `claim`, holding the user's transaction-scoped advisory lock from then on
    (two processes never run one user's updates at once).

    The lock is taken inside the claim's own statement (one round trip, not two). That
    statement's snapshot predates the lock, so if another process finished an earlier update
    of this user while we waited for it, the claim still sees that one pending and fails;
    then it is asked again, with the lock held and a fresh snapshot. A success needs no
    second look: every statement after it sees what the lock's last holder committed.
    """
    params = {"claim_update_id": update_id, "claim_key": key, "claim_now": now}
    return await _claim_in_line(s, _CLAIM_LOCKING, _CLAIM, key, params)


def _claim_fresh_statement(dialect: str, *, lock: bool) -> Any:
    table: Any = InboxUpdate.__table__
    update_id: Any = bindparam("claim_update_id", type_=table.c.update_id.type)
    key: Any = bindparam("claim_key", type_=table.c.user_key.type)
    row = select(
        update_id,
        key,
        bindparam("claim_payload", type_=table.c.payload.type),
        bindparam("claim_received", type_=table.c.received_at.type),
        literal(0, type_=table.c.attempts.type),
        bindparam("claim_now", type_=table.c.done_at.type),
    ).where(*_next_in_line(update_id, key, lock=lock))
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table)
    else:
        statement = sqlite_insert(table)
    columns = ["update_id", "user_key", "payload", "received_at", "attempts", "done_at"]
    return short(
        statement.from_select(columns, row).on_conflict_do_nothing().returning(table.c.received_at)
    )


_claim_fresh_statements = cache(_claim_fresh_statement)


async def claim_fresh(
    s: AsyncSession, row: dict[str, object], now: datetime, *, locking: bool = False
) -> datetime | None:
    """`claim` for an update fetched but not stored yet (bot/pipeline/intake.py): stored as
    done in the transaction that handles it, one statement instead of a commit of its own.

    None when the row is there already (stored meanwhile, or a redelivery) or an earlier
    update of the user is pending: `claim` then decides. With `locking` (PostgreSQL) the
    user's advisory lock is taken inside the statement, as in `claim_locking`, and a miss
    is asked once more with the lock held and a fresh snapshot.
    """
    dialect = s.get_bind().dialect.name
    key = cast(int, row["user_key"])
    params = {
        "claim_update_id": row["update_id"],
        "claim_key": key,
        "claim_payload": row["payload"],
        "claim_received": row["received_at"],
        "claim_now": now,
    }
    plain = _claim_fresh_statements(dialect, lock=False)
    if not locking:
        return await _claim(s, plain, params)
    return await _claim_in_line(s, _claim_fresh_statements(dialect, lock=True), plain, key, params)


async def _claim_in_line(
    s: AsyncSession, locking: Any, plain: Any, key: int, params: dict[str, object]
) -> datetime | None:
    """The locking statement; on a miss, the user's lock taken on its own (the statement
    skips it once it sees an earlier update pending), then the plain one, whose snapshot now
    follows the lock's last holder."""
    received = await _claim(s, locking, params)
    if received is None:
        await s.execute(select(func.pg_advisory_xact_lock(key)))
        received = await _claim(s, plain, params)
    return received


async def _claim(s: AsyncSession, statement: Any, params: dict[str, object]) -> datetime | None:
    result = await s.execute(statement, params)
    received: datetime | None = result.scalar_one_or_none()
    return received


async def earlier_pending(s: AsyncSession, key: int, update_id: int) -> list[Stored]:
    rows = await s.execute(
        select(InboxUpdate.update_id, InboxUpdate.user_key, InboxUpdate.payload)
        .where(InboxUpdate.user_key == key, InboxUpdate.update_id < update_id, InboxUpdate.done_at.is_(None))
        .order_by(InboxUpdate.update_id)
    )
    return [Stored(*row) for row in rows]


async def pending(s: AsyncSession, received_before: datetime, limit: int = 1000) -> list[Stored]:
    """Stored but unfinished updates (start-up recovery, or another process that died)."""
    rows = await s.execute(
        select(InboxUpdate.update_id, InboxUpdate.user_key, InboxUpdate.payload)
        .where(InboxUpdate.done_at.is_(None), InboxUpdate.received_at <= received_before)
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return [Stored(*row) for row in rows]


async def mark_failed(s: AsyncSession, update_id: int, error: str, now: datetime) -> None:
    """Give up on an update that keeps failing (a bug): done, with the reason kept."""
    await s.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.done_at.is_(None))
        .values(done_at=now, error=error[:200])
    )


async def prune(s: AsyncSession, now: datetime) -> int:
    result = await s.execute(delete(InboxUpdate).where(InboxUpdate.done_at < now - KEEP_DONE))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def backlog(s: AsyncSession) -> tuple[int, datetime | None]:
    """How many updates wait, and since when (for /metrics and readiness)."""
    count, oldest = (
        await s.execute(
            select(func.count(), func.min(InboxUpdate.received_at)).where(InboxUpdate.done_at.is_(None))
        )
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest
