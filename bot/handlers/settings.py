"""/settings, /pause, /resume and their buttons."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import settings
from bot.flows.context import FlowContext


async def cmd_settings(update: Update, ctx: FlowContext) -> None:
    await settings.show(ctx)


async def cmd_pause(update: Update, ctx: FlowContext) -> None:
    await settings.set_paused(ctx, True)


async def cmd_resume(update: Update, ctx: FlowContext) -> None:
    await settings.set_paused(ctx, False)


async def on_button(update: Update, ctx: FlowContext, button: b.SettingsButton) -> None:
    await settings.on_button(ctx, button.choice)


async def on_weekday(update: Update, ctx: FlowContext, button: b.WeekdayButton) -> None:
    await settings.on_weekday(ctx, button.day, button.save)


async def on_language(update: Update, ctx: FlowContext, button: b.LanguageButton) -> None:
    await settings.on_language(ctx, button.locale)
