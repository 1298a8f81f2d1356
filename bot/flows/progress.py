"""/progress: where the user stands, in words and a picture drawn at send time."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain import phases as rules
from bot.domain.phases import Say
from bot.domain.streaks import pain_trend, streaks
from bot.flows import phases
from bot.flows.context import FlowContext
from bot.services.planner import phase_state
from bot.views import general as general_view
from bot.views import phases as phase_view
from bot.views import status as view
from db.models import PracticeSession


async def show(ctx: FlowContext) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not user.onboarded:
        ctx.send(general_view.not_started(tr) if user is None else general_view.finish_onboarding(tr))
        return
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
    await phases.catch_up(ctx, user)
    facts, done_days, today = await phases.facts(ctx, user)
    partial = {r.local_date for r in rows if r.status != "completed"} - done_days
    total = sum(1 for r in rows if r.status == "completed")
    summary = streaks(done_days, today, total)
    ratings = [(r.local_date, r.pain_before) for r in rows if r.pain_before is not None and r.status != "abandoned"]
    state = phase_state(user)
    lines = [phase_view.render_line(tr, rules.progress_header(state.phase), facts)]
    lines.append(view.progress_streak(tr, summary.current, summary.longest))
    lines.append(view.progress_total(tr, total))
    trend = pain_trend(ratings, today)
    if trend.first is None:
        lines.append(view.pain_none(tr))
    elif trend.recent_avg is None:
        lines.append(view.pain_first_only(tr, trend.first))
    else:
        lines.append(view.pain_trend(tr, trend.first, trend.recent_avg, trend.change or 0.0, trend.meaningful))
    not_improved = facts.six_weeks is not None and not facts.six_weeks.improved
    six = rules.six_week_line(state.phase, not_improved)
    if six is not None:
        lines.append(phase_view.render_line(tr, six, facts))
    day = await phases.day_of(ctx, user, done_days, today)
    step = rules.say(state.phase, day, Say.PROGRESS, never_practised=total == 0)
    lines.append("\n" + phase_view.render(tr, step, facts))
    ctx.send("\n".join(lines), phases.checkin_keyboard(tr) if phase_view.has_checkin_buttons(step) else None)
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
