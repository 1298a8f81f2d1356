"""A user's history as the domain and the pictures read it: phase periods, practice,
skipped and paused days, session ratings, and the clinician report's data.

Read in the update's transaction; the picture and the PDF are drawn at send time from
the JSON made here (bot/renderers.py), so they show exactly what was read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.routine import BY_KEY, Variant
from bot.domain.schedule import local_date_of, local_today
from bot.domain.screening import QUESTIONS
from bot.domain.streaks import PracticeLog
from bot.domain.trends import SessionPain
from bot.i18n import Translator
from bot.renderers import History, history_json
from bot.views import exercises as exercises_view
from bot.views import safety as safety_view
from db.models import (
    ExerciseResult,
    Pause,
    PhaseChange,
    PracticeSession,
    ReminderLog,
    ScreeningAnswer,
    User,
)

QUESTION_KEYS = {q.key for q in QUESTIONS}


def joined_on(user: User) -> date:
    return local_date_of(user.created_at, user.timezone)


async def load(s: AsyncSession, user: User, now: Any) -> History:
    today = local_today(now, user.timezone)
    changes = (
        await s.execute(
            select(PhaseChange.new_phase, PhaseChange.on_date)
            .where(PhaseChange.user_id == user.id)
            .order_by(PhaseChange.id)
        )
    ).all()
    rows = (
        await s.execute(
            select(
                PracticeSession.local_date,
                PracticeSession.status,
                PracticeSession.pain_before,
                PracticeSession.pain_after,
            )
            .where(PracticeSession.user_id == user.id)
            .order_by(PracticeSession.started_at)
        )
    ).all()
    # The history starts when the user did: set-up, or the first session on record.
    joined = min(
        [
            joined_on(user),
            user.phase_started_on or today,
            *(d for _, d in changes),
            *(r.local_date for r in rows),
        ]
    )
    periods = (("habit", joined), *((phase, day) for phase, day in changes))
    done = {r.local_date for r in rows if r.status == "completed"}
    partial = {r.local_date for r in rows if r.status != "completed"} - done
    skipped = set(
        (
            await s.execute(
                select(ReminderLog.local_date).where(
                    ReminderLog.user_id == user.id, ReminderLog.action == "skip"
                )
            )
        ).scalars()
    )
    pauses = (
        await s.execute(
            select(Pause.started_on, Pause.ended_on)
            .where(Pause.user_id == user.id)
            .order_by(Pause.started_on)
        )
    ).all()
    log = PracticeLog(
        today,
        periods,
        done=frozenset(done),
        partial=frozenset(partial),
        skipped=frozenset(skipped),
        pauses=tuple((start, end) for start, end in pauses),
        weekdays=user.weekdays,
    )
    sessions = tuple(SessionPain(r.local_date, r.status, r.pain_before, r.pain_after) for r in rows)
    return History(log, sessions, sum(1 for r in rows if r.status == "completed"))


async def report_json(s: AsyncSession, user: User, now: Any, tr: Translator) -> dict[str, Any]:
    """Everything /report shows, with exercise names and questions in the user's words."""
    history = await load(s, user, now)
    stopped = (
        await s.execute(
            select(ExerciseResult.exercise_key, ExerciseResult.side, PracticeSession.local_date)
            .join(PracticeSession, PracticeSession.id == ExerciseResult.session_id)
            .where(PracticeSession.user_id == user.id, ExerciseResult.outcome == "stopped_pain")
            .order_by(ExerciseResult.recorded_at)
        )
    ).all()
    variant = Variant.DEFAULT if user.has_band is not False else Variant.NO_BAND
    answers = (
        await s.execute(
            select(
                ScreeningAnswer.question_key, ScreeningAnswer.tier, ScreeningAnswer.answer, ScreeningAnswer.at
            )
            .where(ScreeningAnswer.user_id == user.id)
            .order_by(ScreeningAnswer.at)
        )
    ).all()
    pauses = (
        await s.execute(
            select(Pause.started_on, Pause.ended_on, Pause.reason)
            .where(Pause.user_id == user.id)
            .order_by(Pause.id)
        )
    ).all()
    changes = (
        await s.execute(
            select(PhaseChange.on_date, PhaseChange.old_phase, PhaseChange.new_phase, PhaseChange.reason)
            .where(PhaseChange.user_id == user.id)
            .order_by(PhaseChange.id)
        )
    ).all()
    from bot.domain.screening import question

    return {
        "locale": user.locale,
        "generated_on": history.log.today.isoformat(),
        "name": user.first_name,
        "history": history_json(history),
        "stopped": [
            [day.isoformat(), exercises_view.title(tr, BY_KEY[key], variant) if key in BY_KEY else key, side]
            for key, side, day in stopped
        ],
        "safety": [
            [
                local_date_of(at, user.timezone).isoformat(),
                safety_view.question_text(tr, question(key)),
                tier,
                bool(answer),
            ]
            for key, tier, answer, at in answers
            if key in QUESTION_KEYS
        ],
        "pauses": [
            [start.isoformat(), end.isoformat() if end else None, reason] for start, end, reason in pauses
        ],
        "phase_changes": [[day.isoformat(), old, new, reason] for day, old, new, reason in changes],
    }
