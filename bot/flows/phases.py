"""Phase changes, applied one way for everyone who causes them: the end of a session, the
check-in and flare-up buttons, and the reminder dispatcher."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.domain.phases import Phase, Transition, answer_checkin, flare_up
from bot.domain.schedule import local_today
from bot.effects import Button, Keyboard
from bot.flows.context import FlowContext
from bot.i18n import Translator
from bot.services import store
from bot.services.planner import phase_state, plan_next
from bot.views import general as general_view
from bot.views import phases as view
from db.models import User


def checkin_keyboard(tr: Translator) -> Keyboard:
    return (
        (Button(view.less_sore(tr), b.CheckinButton(b.CheckinAnswer.LESS_SORE).pack()),),
        (Button(view.still_sore(tr), b.CheckinButton(b.CheckinAnswer.STILL_SORE).pack()),),
    )


async def persist(s: AsyncSession, user: User, transition: Transition, now: datetime) -> None:
    """Store the change and its reason; the next reminder follows the new rhythm."""
    new = transition.new
    await store.log_phase_change(s, user.id, transition.old.value, new.phase.value, transition.reason, new.started_on, now)
    user.phase = new.phase.value
    user.phase_started_on = new.started_on
    user.checkin_on = new.checkin_on


def announcement(tr: Translator, transition: Transition) -> tuple[str, Keyboard | None]:
    markup = checkin_keyboard(tr) if transition.new.phase is Phase.CHECKIN else None
    return view.change(tr, transition.reason), markup


async def apply(ctx: FlowContext, user: User, transition: Transition) -> None:
    """Persist, announce and re-plan: the one way a phase changes in a conversation."""
    await persist(ctx.s, user, transition, ctx.now)
    text, markup = announcement(ctx.tr, transition)
    ctx.send(text, markup)
    plan_next(user, ctx.now)


def offer_flare(ctx: FlowContext, user: User) -> None:
    """Pain rose clearly: offer a return to daily practice (only meaningful outside daily)."""
    if Phase(user.phase) in (Phase.MAINTENANCE, Phase.CHECKIN):
        tr = ctx.tr
        ctx.send(
            view.flare_offer(tr),
            (
                (
                    Button(view.flare_yes(tr), b.FlareButton(b.FlareChoice.YES).pack()),
                    Button(view.flare_no(tr), b.FlareButton(b.FlareChoice.NO).pack()),
                ),
            ),
        )


async def on_checkin(ctx: FlowContext, answer: b.CheckinAnswer) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or Phase(user.phase) not in (Phase.CHECKIN, Phase.DAILY):
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    less = answer is b.CheckinAnswer.LESS_SORE
    if ctx.pressed_message_id is not None:
        ctx.edit_pressed(view.less_sore(tr) if less else view.still_sore(tr))
    transition = answer_checkin(phase_state(user), less, local_today(ctx.now, user.timezone))
    await apply(ctx, user, transition)


async def on_flare(ctx: FlowContext, choice: b.FlareChoice) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or not user.onboarded:
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    if choice is b.FlareChoice.NO:
        ctx.edit_pressed(view.flare_no(tr))
        return
    transition = flare_up(phase_state(user), local_today(ctx.now, user.timezone))
    if transition is None:
        ctx.send(view.already_daily(tr))
        return
    if choice is b.FlareChoice.YES:
        ctx.edit_pressed(view.flare_yes(tr))
    await apply(ctx, user, transition)
