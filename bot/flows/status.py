"""The next reminder, in words: shared by /settings, /pause, /resume and set-up answers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.schedule import local_today
from bot.flows.context import FlowContext
from bot.views import status as view
from db.models import User


def next_reminder_line(ctx: FlowContext, user: User) -> str:
    tr = ctx.tr
    if user.paused:
        return view.reminders_paused(tr)
    if user.next_reminder_at is None:
        return view.no_reminder(tr)
    local = user.next_reminder_at.astimezone(ZoneInfo(user.timezone))
    return view.next_reminder(tr, local, local_today(ctx.now, user.timezone), user.timezone)
