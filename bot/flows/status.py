"""Lines about where the user stands, read from the database for the flows that show them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.phases import Phase, habit_day_number, weekly_target
from bot.domain.schedule import local_today
from bot.domain.streaks import week_count
from bot.flows.context import FlowContext
from bot.services import store
from bot.views import status as view
from db.models import User


async def session_end_line(ctx: FlowContext, user: User, *, counted: bool) -> str:
    tr = ctx.tr
    today = local_today(ctx.now, user.timezone)
    phase = Phase(user.phase)
    if not counted:
        return view.not_counted(tr)
    if phase is Phase.MAINTENANCE:
        days = await store.practice_days(ctx.s, user.id)
        return view.week_count(tr, week_count(days, today), weekly_target(user.weekdays))
    lines = [view.counts_today(tr)]
    if phase is Phase.HABIT:
        done = await store.counted_days_since(ctx.s, user.id, user.phase_started_on or today)
        lines.append(view.habit_day(tr, habit_day_number(done, True)))
    return " ".join(lines)


def next_reminder_line(ctx: FlowContext, user: User) -> str:
    tr = ctx.tr
    if user.paused:
        return view.reminders_paused(tr)
    if user.next_reminder_at is None:
        return view.no_reminder(tr)
    local = user.next_reminder_at.astimezone(ZoneInfo(user.timezone))
    return view.next_reminder(tr, local, local_today(ctx.now, user.timezone), user.timezone)


def phase_line(ctx: FlowContext, user: User) -> str:
    return view.phase_name(ctx.tr, Phase(user.phase))
