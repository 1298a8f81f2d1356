"""Answers to the red-flag screen and the ways back from a stop, wherever the screen was
asked (onboarding, or a re-check after a symptom change)."""

from __future__ import annotations

from bot import buttons as b
from bot.flows import onboarding, screening
from bot.flows.context import FlowContext
from bot.services.planner import plan_next
from bot.views import general as general_view
from bot.views import screening as view
from db.models import User
from db.states import ScreenStatus


def _after_clear(ctx: FlowContext, user: User) -> None:
    """The screen is clear: onboarding moves on; an onboarded user's program runs again."""
    if not user.onboarded:
        if not onboarding.advance(ctx, user, onboarding.Event.SCREENED):
            onboarding.ask(ctx, user)
        return
    plan_next(user, ctx.now)
    ctx.send(view.resumed(ctx.tr))


async def on_answer(ctx: FlowContext, key: str, yes: bool) -> None:
    user = await ctx.user()
    if user is None:
        ctx.answer(general_view.not_started(ctx.tr))
        return
    outcome = await screening.answer(ctx, user, key, yes)
    if outcome is screening.Outcome.CLEAR:
        _after_clear(ctx, user)


async def on_control(ctx: FlowContext, choice: b.ScreenControl) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None:
        ctx.answer(general_view.not_started(tr))
        return
    if choice is b.ScreenControl.CLEARED and user.screen_status is ScreenStatus.DOCTOR:
        ctx.answer()
        ctx.edit_pressed(view.cleared_button(tr))
        user.screen_status = ScreenStatus.CLEAR
        user.cleared_at = ctx.now
        _after_clear(ctx, user)
    elif choice is b.ScreenControl.REDO and screening.stopped(user):
        ctx.answer()
        ctx.edit_pressed(view.redo_button(tr))
        screening.start(ctx, user)
    else:
        ctx.answer(general_view.expired(tr))
