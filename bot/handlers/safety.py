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
