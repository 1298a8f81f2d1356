"""A reminder's buttons."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import reminders
from bot.flows.context import FlowContext


async def on_button(update: Update, ctx: FlowContext, button: b.ReminderButton) -> None:
    await reminders.on_button(ctx, button.reminder, button.action)
