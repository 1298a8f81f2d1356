"""/stretch and the session's buttons."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import session
from bot.flows.context import FlowContext


async def cmd_stretch(update: Update, ctx: FlowContext) -> None:
    await session.start(ctx, await ctx.user())


async def on_pain(update: Update, ctx: FlowContext, button: b.PainButton) -> None:
    await session.rate(ctx, button.session, button.when, button.rating)


async def quick_step(ctx: FlowContext, button: b.StepButton) -> bool:
    """Before the stop gate: True when Done/Skip moved the session (see `session.quick_press`)."""
    return await session.quick_press(ctx, button.session, button.step, button.action)


async def on_step(update: Update, ctx: FlowContext, button: b.StepButton) -> None:
    await session.press(ctx, button.session, button.step, button.action)


async def on_hurt(update: Update, ctx: FlowContext, button: b.HurtButton) -> None:
    await session.hurt_choice(ctx, button.session, button.step, button.choice)


async def on_resume(update: Update, ctx: FlowContext, button: b.ResumeButton) -> None:
    await session.resume(ctx, button.session, button.choice)


async def on_hold(update: Update, ctx: FlowContext, button: b.HoldButton) -> None:
    await session.choose_hold(ctx, button.exercise, button.seconds)
