"""Safety across the flows: the stop gate, screen answers and ways back, and the answers
to "how is your pain now?" after a session whose pain went up.

The stop gate runs before any button or command that could lead elsewhere: while a stop
or a pause is in force, the user only ever sees the stop's own message and its ways back.
"""

from __future__ import annotations

from bot import buttons as b
from bot.domain import symptoms
from bot.domain.schedule import local_today
from bot.domain.screening import Outcome, ScreenStatus, WayBack, full_screen
from bot.domain.symptoms import FollowUp, FollowUpAction
from bot.flows import onboarding, screening, session
from bot.flows.context import FlowContext
from bot.services import store
from bot.services.planner import replan
from bot.views import general as general_view
from bot.views import safety as view
from db.models import User

CONTROLS = {b.ScreenControl.REDO: WayBack.REDO_SCREEN, b.ScreenControl.CLEARED: WayBack.CLINICIAN_CLEARED}


async def gate(ctx: FlowContext) -> bool:
    """True (and the stop shown) when the asking user is stopped or paused."""
    user = await ctx.user()
    if user is None or not screening.stopped(user):
        return False
    ctx.answer()
    screening.show_stop(ctx, user)
    return True


async def _after_clear(ctx: FlowContext, user: User, *, came_back: bool) -> None:
    """A round came back clear: onboarding moves on; an onboarded user carries on (a session
    the re-check interrupted, where it was). `came_back`: the round ended a stop or pause."""
    if not user.onboarded:
        if not onboarding.advance(ctx, user, onboarding.Event.SCREENED):
            onboarding.ask(ctx, user)
        return
    await replan(ctx.s, user, ctx.now)
    if await session.carry_on(ctx, user):
        return
    if came_back:
        ctx.send(general_view.program_running(ctx.tr))
    else:  # a re-check says what to do itself; new questions just end
        ctx.send(general_view.ready_when_you_are(ctx.tr))


async def on_answer(ctx: FlowContext, key: str, yes: bool) -> None:
    user = await ctx.user()
    if user is None:
        ctx.answer(general_view.not_started(ctx.tr))
        return
    recheck = user.screen_status is ScreenStatus.RECHECK
    # A full round for someone onboarded is the re-do after a stop; a shorter one is new questions.
    redo = not recheck and len(screening.current_round(user)) == len(full_screen())
    if await screening.answer(ctx, user, key, yes) is Outcome.CLEAR:
        if recheck:
            await replan(ctx.s, user, ctx.now)
            await session.carry_on(ctx, user)
        else:
            await _after_clear(ctx, user, came_back=redo)


async def on_control(ctx: FlowContext, choice: b.ScreenControl) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None:
        ctx.answer(general_view.not_started(tr))
        return
    if not screening.stopped(user):
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    way = CONTROLS[choice]
    ctx.settle(view.way_back_label(tr, way))
    if await screening.take_way_back(ctx, user, way) is ScreenStatus.CLEAR:
        await _after_clear(ctx, user, came_back=True)


async def on_followup(ctx: FlowContext, answer: FollowUp) -> None:
    """The answer to "your pain went up after your last session: how is it now?"."""
    user = await ctx.presser()
    if user is None:
        return
    tr = ctx.tr
    ctx.settle(view.followup_label(tr, answer))
    ctx.send(view.followup_reply(tr, answer))
    today = local_today(ctx.now, user.timezone)
    watch = symptoms.on_followup(answer, today, user.last_recheck_on)
    await store.log_screening(ctx.s, user.id, f"followup:{answer.value}", "followup", True, ctx.now)
    if symptoms.followup_action(answer) is FollowUpAction.RECHECK and watch.recheck:
        screening.start_recheck(ctx, user, watch.triggers)
