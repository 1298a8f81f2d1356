"""Red-flag answers, the ways back from a stop, and /urgent."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import general, safety
from bot.flows.context import FlowContext


async def on_answer(update: Update, ctx: FlowContext, button: b.ScreenAnswer) -> None:
    await safety.on_answer(ctx, button.question, button.yes)


async def on_control(update: Update, ctx: FlowContext, button: b.ScreenButton) -> None:
    await safety.on_control(ctx, button.choice)


async def cmd_urgent(update: Update, ctx: FlowContext) -> None:
    await general.urgent(ctx)


async def stop_gate(update: Update, ctx: FlowContext) -> bool:
    """True when the user is stopped or paused (and has been shown the stop)."""
    return await safety.gate(ctx)


async def on_followup(update: Update, ctx: FlowContext, button: b.FollowUpButton) -> None:
    await safety.on_followup(ctx, button.answer)
