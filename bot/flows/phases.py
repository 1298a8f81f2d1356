"""The habit schedule as the user lives it: phase changes applied one way (the domain's
`apply`), for the session end, the check-in and flare-up buttons and the reminder
dispatcher alike, and the phase's own words at every moment (`say` picks the lines).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.domain import phases as rules
from bot.domain import symptoms
from bot.domain.phases import DayKind, Event, Line, Phase, PhaseState, Say, Transition
from bot.domain.schedule import local_today
from bot.effects import Button, Keyboard
from bot.flows.context import FlowContext
from bot.i18n import Translator
from bot.services import store
from bot.services.planner import phase_state, replan
from bot.views import phases as view
from bot.views.phases import PhaseFacts
from db.models import PracticeSession, ReminderLog, User


def checkin_keyboard(tr: Translator) -> Keyboard:
    less, sore = view.checkin_buttons(tr)
    return (
        (Button(less, b.CheckinButton(b.CheckinAnswer.LESS_SORE).pack()),),
        (Button(sore, b.CheckinButton(b.CheckinAnswer.STILL_SORE).pack()),),
    )


def flare_offer_keyboard(tr: Translator) -> Keyboard:
    yes, no = view.flare_offer_buttons(tr)
    return (
        (
            Button(yes, b.FlareButton(b.FlareChoice.YES).pack()),
            Button(no, b.FlareButton(b.FlareChoice.NO).pack()),
        ),
    )


async def persist(s: AsyncSession, user: User, transition: Transition, now: datetime) -> None:
    """Store the change with its reason; the next reminder follows the new rhythm."""
    new = transition.new
    await store.log_phase_change(
        s, user.id, transition.old.value, new.phase.value, transition.reason.value, new.started_on, now
    )
    user.phase = new.phase
    user.phase_started_on = new.started_on
    user.checkin_on = new.checkin_on


async def fire(
    s: AsyncSession, user: User, event: Event, now: datetime, counted: int | None = None
) -> Transition | None:
    """Apply `event` to the user's phase (the one way a phase changes) and re-plan."""
    transition = rules.apply(phase_state(user), event, local_today(now, user.timezone), counted)
    if transition is not None:
        await persist(s, user, transition, now)
        await replan(s, user, now)
    return transition


# --------------------------------------------------------------------------- facts


async def completed_days(s: AsyncSession, user_id: int) -> set[date]:
    return await store.practice_days(s, user_id)


async def skipped_today(s: AsyncSession, user: User, today: date) -> bool:
    found = await s.scalar(
        select(ReminderLog.id)
        .where(ReminderLog.user_id == user.id, ReminderLog.local_date == today, ReminderLog.action == "skip")
        .limit(1)
    )
    return found is not None


async def before_ratings(s: AsyncSession, user_id: int) -> list[tuple[date, int]]:
    """(local date, "before" rating) of every session, oldest first: for the symptom watch a
    pain report counts even when the session was cut short."""
    rows = await s.execute(
        select(PracticeSession.local_date, PracticeSession.pain_before)
        .where(PracticeSession.user_id == user_id, PracticeSession.pain_before.is_not(None))
        .order_by(PracticeSession.started_at)
    )
    return [(day, int(rating)) for day, rating in rows if rating is not None]


def facts_for(
    user: User,
    state: PhaseState,
    days: set[date],
    today: date,
    *,
    counted: int,
    ratings: list[tuple[date, int]],
) -> PhaseFacts:
    chosen = tuple(sorted(user.weekdays))
    week = weeks = None
    if state.phase is Phase.MAINTENANCE:
        week = rules.week_progress(state, chosen, days, today)
        weeks = rules.weeks_on_target(state, chosen, days, today)
    return PhaseFacts(
        day=rules.habit_day_number(counted, today in days),
        counted=counted,
        week=week,
        weeks_on_target=weeks,
        checkin_on=state.checkin_on,
        next_day=rules.next_practice_day(state, chosen, today),
        weekdays=chosen,
        six_weeks=symptoms.six_weeks(ratings),
    )


async def facts(ctx: FlowContext, user: User) -> tuple[PhaseFacts, set[date], date]:
    today = local_today(ctx.now, user.timezone)
    state = phase_state(user)
    days = await completed_days(ctx.s, user.id)
    counted = await store.counted_days_since(ctx.s, user.id, state.started_on)
    ratings = await before_ratings(ctx.s, user.id)
    return facts_for(user, state, days, today, counted=counted, ratings=ratings), days, today


async def day_of(ctx: FlowContext, user: User, days: set[date], today: date) -> DayKind:
    return rules.day_kind(
        phase_state(user), user.weekdays, today, today in days, await skipped_today(ctx.s, user, today)
    )


def send_lines(
    ctx: FlowContext, lines: tuple[Line, ...], facts_: PhaseFacts, lead: str | None = None
) -> None:
    """One message for the lines (with the check-in buttons when its question is among them)."""
    if not lines and not lead:
        return
    text = view.render(ctx.tr, lines, facts_)
    if lead:
        text = f"{lead}\n\n{text}" if text else lead
    ctx.send(text, checkin_keyboard(ctx.tr) if view.has_checkin_buttons(lines) else None)


# --------------------------------------------------------------------------- catching up


async def catch_up(ctx: FlowContext, user: User) -> None:
    """A new local day was seen: an unanswered check-in's week runs out, a daily week ends."""
    transition = await fire(ctx.s, user, Event.DAY_START, ctx.now)
    if transition is not None:
        facts_, _, _ = await facts(ctx, user)
        send_lines(ctx, (rules.announcement(transition.reason), *_question(transition)), facts_)


def _question(transition: Transition) -> tuple[Line, ...]:
    return (Line.CHECKIN_QUESTION,) if transition.new.phase is Phase.CHECKIN else ()


# --------------------------------------------------------------------------- buttons


async def on_checkin(ctx: FlowContext, answer: b.CheckinAnswer) -> None:
    user = await ctx.presser()
    if user is None:
        return
    tr = ctx.tr
    less = answer is b.CheckinAnswer.LESS_SORE
    label = view.checkin_buttons(tr)[0 if less else 1]
    event = Event.LESS_SORE if less else Event.STILL_SORE
    transition = await fire(ctx.s, user, event, ctx.now)
    facts_, _, _ = await facts(ctx, user)
    if transition is None:
        line = rules.not_applied_line(phase_state(user), event)
        if line is not None:
            send_lines(ctx, (line,), facts_)
        return
    ctx.settle(label)
    not_improved = facts_.six_weeks is not None and not facts_.six_weeks.improved
    lines = rules.checkin_answer_lines(transition, not_improved)
    send_lines(ctx, lines, facts_)
    if not_improved:
        user.six_week_sent_on = local_today(ctx.now, user.timezone)


def offer_flare(ctx: FlowContext, user: User, pain_rising: bool) -> None:
    """A clear pain rise outside daily practice: offer daily again, asking first."""
    if rules.offers_flare(phase_state(user), pain_rising):
        ctx.send(view.render_line(ctx.tr, Line.FLARE_OFFER), flare_offer_keyboard(ctx.tr))


async def on_flare(ctx: FlowContext, choice: b.FlareChoice) -> None:
    user = await ctx.presser()
    if user is None:
        return
    tr = ctx.tr
    if choice is b.FlareChoice.NO:
        ctx.settle(view.flare_offer_buttons(tr)[1])
        facts_, _, _ = await facts(ctx, user)
        send_lines(ctx, (Line.FLARE_OFFER_DECLINED,), facts_)
        return
    # "Flare-up" pressed by the user is taken at once; "yes" accepts the offer after a pain rise.
    event = Event.FLARE_REPORTED if choice is b.FlareChoice.REPORT else Event.FLARE_ACCEPTED
    if choice is b.FlareChoice.YES:
        ctx.settle(view.flare_offer_buttons(tr)[0])
    transition = await fire(ctx.s, user, event, ctx.now)
    facts_, _, _ = await facts(ctx, user)
    if transition is None:
        line = rules.not_applied_line(phase_state(user), event)
        send_lines(ctx, (line,) if line else (), facts_)
        return
    send_lines(ctx, (rules.announcement(transition.reason),), facts_)


# --------------------------------------------------------------------------- session end


async def after_session(
    ctx: FlowContext, user: User, *, counted: bool, day_before: DayKind
) -> tuple[str, Keyboard | None]:
    """The session-end lines for the phase the session was done in, and any phase change."""
    transition = None
    if counted:
        state = phase_state(user)
        done = await store.counted_days_since(ctx.s, user.id, state.started_on)
        transition = await fire(ctx.s, user, Event.PRACTICE_COUNTED, ctx.now, counted=done)
    moment = Say.SESSION_END_COUNTED if counted else Say.SESSION_END_NOT_COUNTED
    lines = rules.say(user.phase, day_before, moment, transition=transition)
    facts_, _, _ = await facts(ctx, user)
    if transition is not None and transition.reason is rules.Reason.HABIT_COMPLETE:
        # "day 21 of 21" belongs to the habit phase just finished.
        facts_ = replace(facts_, day=rules.HABIT_DAYS)
    text = view.render(ctx.tr, lines, facts_)
    return text, checkin_keyboard(ctx.tr) if view.has_checkin_buttons(lines) else None
