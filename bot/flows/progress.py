"""/progress: where the user stands, in words and a picture drawn at send time."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.phases import Phase, habit_day_number, weekly_target
from bot.domain.schedule import local_today
from bot.domain.streaks import no_improvement_after_six_weeks, pain_trend, streaks, week_count, weeks_met
from bot.flows import status
from bot.flows.context import FlowContext
from bot.services import store
from bot.views import general as general_view
from bot.views import status as view
from db.models import PracticeSession


async def show(ctx: FlowContext) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not user.onboarded:
        ctx.send(general_view.not_started(tr) if user is None else general_view.finish_onboarding(tr))
        return
    today = local_today(ctx.now, user.timezone)
    rows = (
        await ctx.s.execute(
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
        counted = await store.counted_days_since(ctx.s, user.id, user.phase_started_on or today)
        lines.append(view.progress_habit(tr, habit_day_number(counted, today in done_days)))
    elif phase is Phase.MAINTENANCE:
        target = weekly_target(user.weekdays)
        met = weeks_met(done_days, today, target, since=user.phase_started_on)
        lines.append(view.progress_maintenance(tr, week_count(done_days, today), target, met))
    else:
        lines.append("🌿 " + status.phase_line(ctx, user))
    lines.append(view.progress_streak(tr, summary.current, summary.longest))
    lines.append(view.progress_total(tr, total))
    trend = pain_trend(ratings, today)
    if trend.first is None:
        lines.append(view.pain_none(tr))
    elif trend.recent_avg is None:
        lines.append(view.pain_first_only(tr, trend.first))
    else:
        lines.append(view.pain_trend(tr, trend.first, trend.recent_avg, trend.change or 0.0, trend.meaningful))
    if no_improvement_after_six_weeks(ratings, today):
        lines.append(view.six_weeks(tr))
    if total == 0:
        lines.append("\n" + view.next_first(tr))
    elif today in done_days:
        lines.append("\n" + view.today_done(tr))
    else:
        lines.append("\n" + view.next_today(tr))
    ctx.send("\n".join(lines))
    pain = [
        [r.local_date.isoformat(), r.pain_before, r.pain_after]
        for r in rows
        if r.pain_before is not None or r.pain_after is not None
    ]
    if not done_days and not partial and not pain:
        ctx.send(view.picture_later(tr))
        return
    ctx.file(
        "progress_chart",
        {
            "locale": user.locale,
            "today": today.isoformat(),
            "practice_days": sorted(d.isoformat() for d in done_days),
            "partial_days": sorted(d.isoformat() for d in partial),
            "pain": pain,
        },
        caption=view.picture_caption(tr),
    )
