"""/progress: phase, streaks, totals, pain trend and a picture."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.chart import ChartData, PainPoint, render_progress_png_async
from bot.deps import get_deps
from bot.domain.phases import HABIT_DAYS, Phase, habit_day_number, weekly_target
from bot.domain.schedule import local_today
from bot.domain.streaks import (
    no_improvement_after_six_weeks,
    pain_trend,
    streaks,
    week_count,
    weeks_met,
)
from bot.handlers.common import reply
from bot.handlers.status import PHASE_NAMES
from bot.services import store
from db.models import PracticeSession, User


async def build_report(s: AsyncSession, user: User, now: datetime) -> tuple[str, ChartData]:
    today = local_today(now, user.timezone)
    rows = (
        await s.execute(
            select(
                PracticeSession.local_date,
                PracticeSession.status,
                PracticeSession.pain_before,
                PracticeSession.pain_after,
            ).where(PracticeSession.user_id == user.id)
        )
    ).all()
    done_days = {r.local_date for r in rows if r.status == "completed"}
    partial = {r.local_date for r in rows if r.status != "completed"} - done_days
    total = sum(1 for r in rows if r.status == "completed")
    summary = streaks(done_days, today, total)
    ratings = [(r.local_date, r.pain_before) for r in rows if r.pain_before is not None]
    phase = Phase(user.phase)
    lines = []
    if phase is Phase.HABIT:
        counted = await store.counted_days_since(s, user.id, user.phase_started_on or today)
        lines.append(
            f"🌱 Building the habit: day {habit_day_number(counted, today in done_days)} "
            f"of {HABIT_DAYS} ({counted} counted so far)."
        )
    elif phase is Phase.MAINTENANCE:
        target = weekly_target(user.weekdays)
        met = weeks_met(done_days, today, target, since=user.phase_started_on)
        lines.append(
            f"🌳 Maintenance: {week_count(done_days, today)} of {target} sessions this week; "
            f"{met} week(s) in a row on target."
        )
    else:
        lines.append(f"🌿 {PHASE_NAMES[phase]}")
    lines.append(f"🔥 Current streak: {summary.current} day(s) · longest: {summary.longest}")
    lines.append(f"✅ Sessions completed: {total}")
    trend = pain_trend(ratings, today)
    if trend.first is None:
        lines.append("📉 Pain trend: your ratings will show here after your first session.")
    elif trend.recent_avg is None:
        lines.append(f"📉 Pain: first rating {trend.first}/10; no ratings in the last 7 days.")
    else:
        change = trend.change or 0.0
        verdict = (
            "a meaningful improvement 🎉"
            if trend.meaningful
            else "keep going; changes take time"
            if change <= 0
            else "a little higher"
        )
        lines.append(
            f"📉 Pain: first {trend.first}/10, last 7 days average {trend.recent_avg:.1f} "
            f"({change:+.1f}): {verdict}."
        )
    if no_improvement_after_six_weeks(ratings, today):
        lines.append(
            "🩺 After about six weeks without a clear improvement, it's worth seeing a "
            "doctor to check what else might help."
        )
    if total == 0:
        lines.append("\nNext step: send /stretch for your first session.")
    elif today in done_days:
        lines.append("\nToday is done. Rest well, and see you next time.")
    else:
        lines.append("\nNext step: a session today keeps things moving. Send /stretch when ready.")
    chart = ChartData(
        today=today,
        practice_days=frozenset(done_days),
        partial_days=frozenset(partial),
        pain=tuple(
            PainPoint(r.local_date, r.pain_before, r.pain_after)
            for r in rows
            if r.pain_before is not None or r.pain_after is not None
        ),
    )
    return "\n".join(lines), chart


async def cmd_progress(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None or not user.onboarded:
            await reply(update, context, texts.NOT_STARTED if user is None else texts.FINISH_ONBOARDING)
            return
        text, chart = await build_report(s, user, deps.now())
    await reply(update, context, text)
    png = await render_progress_png_async(chart)
    chat = update.effective_chat
    assert chat is not None
    if png is None:
        await reply(update, context, "Your picture will appear here once you've done a session.")
        return
    await context.bot.send_photo(chat.id, png, caption="Your practice days and pain line.")
