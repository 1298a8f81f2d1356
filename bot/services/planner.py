"""Keeps each user's `next_reminder_at` in step with their settings and phase.

Called after anything that changes when a user should hear from us, so the
dispatcher only ever reads one indexed column.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.phases import Phase, PhaseState, reminder_weekdays
from bot.domain.schedule import local_today, next_reminder_at
from bot.domain.screening import ScreenStatus
from bot.services import store
from db.models import ReminderLog, User


def phase_state(user: User) -> PhaseState:
    started = user.phase_started_on or user.created_at.date()
    return PhaseState(Phase(user.phase), started, user.checkin_on)


def wants_reminders(user: User) -> bool:
    return (
        user.onboarded
        and user.reminder_time is not None
        and not user.paused
        and not user.blocked
        # A re-check or a round of new questions is answered from the reminder's session.
        and user.screen_status in (ScreenStatus.CLEAR, ScreenStatus.RECHECK, ScreenStatus.PENDING)
    )


def plan_next(user: User, now: datetime, *, skip_today: bool = False) -> None:
    """Set the user's next regular reminder strictly after `now` (None when they get none)."""
    user.next_reminder_kind = "daily"
    if not wants_reminders(user):
        user.next_reminder_at = None
        return
    assert user.reminder_time is not None
    not_before = local_today(now, user.timezone) + timedelta(days=1) if skip_today else None
    user.next_reminder_at = next_reminder_at(
        now,
        user.timezone,
        user.reminder_time,
        reminder_weekdays(phase_state(user), user.weekdays),
        not_before_day=not_before,
    )


async def replan(s: AsyncSession, user: User, now: datetime) -> None:
    """`plan_next` for a settings or phase change: a day already practised or skipped gets
    no reminder, so the next one shown is the one that will come."""
    today = local_today(now, user.timezone)
    done = await store.completed_on(s, user.id, today)
    skipped = done or (
        await s.scalar(
            select(ReminderLog.id)
            .where(
                ReminderLog.user_id == user.id, ReminderLog.local_date == today, ReminderLog.action == "skip"
            )
            .limit(1)
        )
        is not None
    )
    plan_next(user, now, skip_today=skipped)


def plan_snooze(user: User, now: datetime, minutes: int) -> None:
    if not wants_reminders(user):
        user.next_reminder_at = None
        return
    user.next_reminder_at = now + timedelta(minutes=minutes)
    user.next_reminder_kind = "snooze"
