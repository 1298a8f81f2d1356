"""/export and /delete."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import data
from bot.flows.context import FlowContext


async def cmd_export(update: Update, ctx: FlowContext) -> None:
    await data.export(ctx)


async def cmd_delete(update: Update, ctx: FlowContext) -> None:
    await data.ask_delete(ctx)


async def on_confirm(update: Update, ctx: FlowContext, button: b.DeleteButton) -> None:
    await data.confirm_delete(ctx, button.user, button.confirm)
