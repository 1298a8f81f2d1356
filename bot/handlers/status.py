"""One-line summaries of where a user stands, shared by /start, /progress and session ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.phases import HABIT_DAYS, Phase, habit_day_number, weekly_target
from bot.domain.schedule import local_today
from bot.domain.streaks import streaks, week_count
from bot.services import store
from db.models import User

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

PHASE_NAMES = {
    Phase.HABIT: "Building the habit: daily practice for 21 days",
    Phase.CHECKIN: "Habit built! Waiting for your check-in answer",
    Phase.DAILY: "Daily practice, with a check-in coming up",
    Phase.MAINTENANCE: "Maintenance: a few times a week",
}


def status_line(user: User) -> str:
    return PHASE_NAMES.get(Phase(user.phase), user.phase)


def next_reminder_line(user: User, now: datetime) -> str:
    if user.paused:
        return "Reminders are paused. Send /resume to turn them back on."
    if user.next_reminder_at is None:
        return "No reminder is planned right now."
    from zoneinfo import ZoneInfo

    local = user.next_reminder_at.astimezone(ZoneInfo(user.timezone))
    day = "today" if local.date() == local_today(now, user.timezone) else WEEKDAY_NAMES[local.weekday()]
    return f"Next reminder: {day} at {local:%H:%M} ({user.timezone})."


async def streak_line(s: AsyncSession, user: User, now: datetime) -> str:
    today = local_today(now, user.timezone)
    days = await store.practice_days(s, user.id)
    summary = streaks(days, today)
    if Phase(user.phase) is Phase.MAINTENANCE:
        target = weekly_target(user.weekdays)
        return (
            f"This week: {week_count(days, today)} of {target} sessions. "
            f"Current streak: {summary.current} day(s)."
        )
    counted = await store.counted_days_since(s, user.id, user.phase_started_on or today)
    if Phase(user.phase) is Phase.HABIT:
        day = habit_day_number(counted, today in days)
        return (
            f"Day {day} of {HABIT_DAYS}. Current streak: {summary.current} day(s), "
            f"longest: {summary.longest}."
        )
    return f"Current streak: {summary.current} day(s), longest: {summary.longest}."
