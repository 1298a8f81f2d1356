"""/progress."""

from __future__ import annotations

from telegram import Update

from bot.flows import progress
from bot.flows.context import FlowContext


async def cmd_progress(update: Update, ctx: FlowContext) -> None:
    await progress.show(ctx)


async def cmd_report(update: Update, ctx: FlowContext) -> None:
    await progress.report(ctx)
