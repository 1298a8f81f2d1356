"""Database reads and writes the handlers share; one function per question asked."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.models import (
    ALL_USER_TABLES,
    ExerciseResult,
    PhaseChange,
    PracticeSession,
    ScreeningAnswer,
    User,
    utcnow,
)
from db.short import short


def _pg_insert(model: Any) -> Any:
    """PostgreSQL's INSERT, imported on first use: a SQLite bot never loads that dialect."""
    from sqlalchemy.dialects.postgresql import insert

    return insert(model)


def insert_ignoring_duplicates(session: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the dialect at hand: duplicates are
    refused by the database's unique keys, not by luck. Statements are immutable, so each
    is built once (a model, or its table for a plain Core insert without the ORM's cost)."""
    return _ignoring_duplicates(session.get_bind().dialect.name, model)


def short_insert_ignoring_duplicates(session: AsyncSession, table: Any) -> Any:
    """The same, marked short (db/short.py): a hot-path insert of a few rows by key."""
    return short_ignoring_duplicates(session.get_bind().dialect.name, table)


@cache
def _ignoring_duplicates(dialect: str, model: Any) -> Any:
    stmt = _pg_insert(model) if dialect == "postgresql" else sqlite_insert(model)
    return stmt.on_conflict_do_nothing()


@cache
def short_ignoring_duplicates(dialect: str, table: Any) -> Any:
    return short(_ignoring_duplicates(dialect, table))


async def get_user(session: AsyncSession, telegram_id: int) -> User | None:
    """The user's row, locked until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serialises writers): two updates of one user never read-modify-write at once."""
    return (
        await session.execute(select(User).where(User.telegram_id == telegram_id).with_for_update())
    ).scalar_one_or_none()


async def get_or_create_user(
    session: AsyncSession,
    telegram_id: int,
    chat_id: int,
    first_name: str,
    timezone: str,
    *,
    locale: str = "en",
) -> User:
    stmt = insert_ignoring_duplicates(session, User).values(
        telegram_id=telegram_id,
        chat_id=chat_id,
        first_name=first_name[:128],
        timezone=timezone,
        locale=locale,
        hold_seconds={},
        weekday_mask=0b1010101,
        phase="habit",
        onboarding_step="welcome",
        screen_index=0,
        screen_status="pending",
        paused=False,
        blocked=False,
        next_reminder_kind="daily",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    await session.execute(stmt)
    user = await get_user(session, telegram_id)
    assert user is not None
    return user


async def open_session(session: AsyncSession, user_id: int) -> PracticeSession | None:
    return (
        await session.execute(
            select(PracticeSession).where(
                PracticeSession.user_id == user_id, PracticeSession.status == "open"
            )
        )
    ).scalar_one_or_none()


async def get_practice_session(session: AsyncSession, session_id: int) -> PracticeSession | None:
    return await session.get(PracticeSession, session_id)


async def session_results(session: AsyncSession, session_id: int) -> dict[tuple[str, str], str]:
    rows = await session.execute(
        select(ExerciseResult.exercise_key, ExerciseResult.side, ExerciseResult.outcome).where(
            ExerciseResult.session_id == session_id
        )
    )
    return {(key, side): outcome for key, side, outcome in rows}


async def record_result(
    session: AsyncSession, session_id: int, key: str, side: str, outcome: str, at: datetime
) -> bool:
    """Write one exercise result now; False when it was already recorded."""
    result = await session.execute(
        short_insert_ignoring_duplicates(session, ExerciseResult.__table__),
        {"session_id": session_id, "exercise_key": key, "side": side, "outcome": outcome, "recorded_at": at},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def move_session(
    session: AsyncSession,
    practice: PracticeSession,
    *,
    from_step: int,
    from_stages: tuple[str, ...],
    **values: Any,
) -> bool:
    """Compare-and-set on the session row: only one of two racing taps wins.

    On success the loaded object takes the new values as committed state, so callers need
    no reload (one statement fewer per tap)."""
    result = await session.execute(
        update(PracticeSession)
        .where(
            PracticeSession.id == practice.id,
            PracticeSession.status == "open",
            PracticeSession.step == from_step,
            PracticeSession.stage.in_(from_stages),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    moved = bool(result.rowcount)  # type: ignore[attr-defined]
    if moved:
        for key, value in values.items():
            set_committed_value(practice, key, value)
    return moved


async def practice_days(session: AsyncSession, user_id: int) -> set[date]:
    rows = await session.execute(
        select(PracticeSession.local_date)
        .where(PracticeSession.user_id == user_id, PracticeSession.status == "completed")
        .distinct()
    )
    return {row[0] for row in rows}


async def completed_sessions_count(session: AsyncSession, user_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                PracticeSession.user_id == user_id, PracticeSession.status == "completed"
            )
        )
        or 0
    )


async def completed_on(session: AsyncSession, user_id: int, day: date) -> bool:
    found = await session.scalar(
        select(PracticeSession.id)
        .where(
            PracticeSession.user_id == user_id,
            PracticeSession.status == "completed",
            PracticeSession.local_date == day,
        )
        .limit(1)
    )
    return found is not None


async def counted_days_since(session: AsyncSession, user_id: int, since: date) -> int:
    return int(
        await session.scalar(
            select(func.count(func.distinct(PracticeSession.local_date))).where(
                PracticeSession.user_id == user_id,
                PracticeSession.status == "completed",
                PracticeSession.local_date >= since,
            )
        )
        or 0
    )


async def log_screening(
    session: AsyncSession, user_id: int, key: str, tier: str, answer: bool, at: datetime
) -> None:
    session.add(ScreeningAnswer(user_id=user_id, question_key=key, tier=tier, answer=answer, at=at))


async def log_phase_change(
    session: AsyncSession, user_id: int, old: str, new: str, reason: str, on: date, at: datetime
) -> None:
    session.add(PhaseChange(user_id=user_id, old_phase=old, new_phase=new, reason=reason, on_date=on, at=at))


async def delete_user_everywhere(session: AsyncSession, user_id: int) -> None:
    """Erase every row about the user, child tables first (no reliance on cascades)."""
    session_ids = select(PracticeSession.id).where(PracticeSession.user_id == user_id)
    await session.execute(delete(ExerciseResult).where(ExerciseResult.session_id.in_(session_ids)))
    for model in ALL_USER_TABLES:
        if model is ExerciseResult:
            continue
        column = User.id if model is User else model.user_id  # type: ignore[union-attr]
        await session.execute(delete(model).where(column == user_id))


async def upsert(s: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE in the dialect at hand, for many rows at once."""
    dialect = s.get_bind().dialect.name
    stmt = _pg_insert(model) if dialect == "postgresql" else sqlite_insert(model)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: getattr(stmt.excluded, c) for c in columns}
    )
    await s.execute(stmt, rows)


async def start_pause(session: AsyncSession, user_id: int, on: date, reason: str) -> None:
    """Open a pause unless one is open already (a second reason does not restart it)."""
    from db.models import Pause

    open_pause = await session.scalar(
        select(Pause.id).where(Pause.user_id == user_id, Pause.ended_on.is_(None)).limit(1)
    )
    if open_pause is None:
        session.add(Pause(user_id=user_id, started_on=on, reason=reason))


async def end_pause(session: AsyncSession, user_id: int, on: date) -> None:
    from db.models import Pause

    await session.execute(
        update(Pause).where(Pause.user_id == user_id, Pause.ended_on.is_(None)).values(ended_on=on)
    )
