"""Guided-session state changes that need no Telegram: open, end, summarise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.routine import STEPS, exercise_outcomes, session_counts
from bot.services import store
from db.models import PracticeSession


async def abandon_open(s: AsyncSession, user_id: int, now: datetime) -> int | None:
    """End the user's open session (if any) as abandoned, keeping its results."""
    open_session = await store.open_session(s, user_id)
    if open_session is None:
        return None
    await s.execute(
        update(PracticeSession)
        .where(PracticeSession.id == open_session.id, PracticeSession.status == "open")
        .values(status="abandoned", stage="done", ended_at=now, hold_until=None)
        .execution_options(synchronize_session=False)
    )
    await s.refresh(open_session)
    return open_session.id


async def open_new(s: AsyncSession, user_id: int, today: date, now: datetime) -> PracticeSession | None:
    """Open today's session; None when another tap opened one first (the unique index says so)."""
    practice = PracticeSession(
        user_id=user_id, local_date=today, started_at=now, status="open", stage="pain_before", step=0
    )
    try:
        async with s.begin_nested():
            s.add(practice)
            await s.flush()
    except IntegrityError:
        return None
    return practice


@dataclass(frozen=True)
class Summary:
    done: int
    skipped: int
    stopped: int
    counts: bool


def summarise(results: dict[tuple[str, str], str]) -> Summary:
    outcomes = list(exercise_outcomes(results).values())
    return Summary(
        done=outcomes.count("done"),
        skipped=outcomes.count("skipped"),
        stopped=outcomes.count("stopped_pain"),
        counts=session_counts(results),
    )


def progress_label(step: int) -> str:
    if step >= len(STEPS):
        return "the last pain check"
    return f"exercise {STEPS[step].exercise.number} of 7"
