"""/progress and /report: where the user stands, in words, a picture and a clinician's page.

The words come from the phase (header, next step, check-in buttons: bot/domain/phases)
and from the history (habit strength, streaks that fit the phase, pain trends:
bot/domain/streaks, habit_strength, trends). The picture and the PDF are drawn at send
time from the history read here.
"""

from __future__ import annotations

from bot.domain import phases as rules
from bot.domain.habit_strength import habit_strength
from bot.domain.phases import Phase, Say
from bot.domain.streaks import phase_streak, this_week
from bot.domain.trends import pain_trends
from bot.flows import history, phases, status
from bot.flows.context import FlowContext
from bot.renderers import history_json
from bot.services.planner import phase_state
from bot.views import general as general_view
from bot.views import phases as phase_view
from bot.views import progress as view
from bot.views import report as report_view
from db.models import User


async def _onboarded(ctx: FlowContext) -> User | None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not user.onboarded:
        ctx.send(general_view.not_started(tr) if user is None else general_view.finish_onboarding(tr))
        return None
    return user


async def show(ctx: FlowContext) -> None:
    user = await _onboarded(ctx)
    if user is None:
        return
    tr = ctx.tr
    await phases.catch_up(ctx, user)
    facts, done_days, today = await phases.facts(ctx, user)
    past = await history.load(ctx.s, user, ctx.now)
    state = phase_state(user)
    lines: list[str | None] = []
    if state.phase is Phase.HABIT:
        assert facts.counted is not None
        lines.append(view.habit_day_line(tr, facts.counted, today in done_days))
    elif state.phase is Phase.MAINTENANCE:
        lines.append(view.week_line(tr, this_week(past.log)))
    else:
        lines.append(phase_view.render_line(tr, rules.progress_header(state.phase), facts))
    lines.append(view.habit_strength_line(tr, habit_strength(past.log)))
    lines.append(view.streak_line(tr, phase_streak(past.log)))
    lines.append(view.sessions_line(tr, past.completed))
    trends = pain_trends(past.sessions, today)
    lines.append(view.pain_line(tr, trends.before, "before"))
    lines.append(view.pain_line(tr, trends.after, "after"))
    not_improved = facts.six_weeks is not None and not facts.six_weeks.improved
    six = rules.six_week_line(state.phase, not_improved)
    if six is not None:
        lines.append(phase_view.render_line(tr, six, facts))
    day = await phases.day_of(ctx, user, done_days, today)
    step = rules.say(
        state.phase, day, Say.PROGRESS, never_practised=past.completed == 0 and not past.sessions
    )
    lines.append("\n" + phase_view.render(tr, step, facts))
    lines.append(status.next_reminder_line(ctx, user))
    if not past.sessions:
        lines.append(view.picture_later(tr))
    ctx.send(
        "\n".join(line for line in lines if line),
        phases.checkin_keyboard(tr) if phase_view.has_checkin_buttons(step) else None,
    )
    if not past.sessions:
        return
    ctx.file(
        "progress_chart",
        {"locale": user.locale, "history": history_json(past)},
        caption=view.picture_caption(tr),
    )


async def report(ctx: FlowContext) -> None:
    """/report: a one-page PDF to show a clinician."""
    user = await _onboarded(ctx)
    if user is None:
        return
    data = await history.report_json(ctx.s, user, ctx.now, ctx.tr)
    ctx.send(report_view.preparing(ctx.tr))
    ctx.file("report", data, caption=report_view.caption(ctx.tr))
