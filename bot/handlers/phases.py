"""The check-in answer and flare-ups."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import phases
from bot.flows.context import FlowContext


async def on_checkin(update: Update, ctx: FlowContext, button: b.CheckinButton) -> None:
    await phases.on_checkin(ctx, button.answer)


async def on_flare(update: Update, ctx: FlowContext, button: b.FlareButton) -> None:
    await phases.on_flare(ctx, button.choice)
