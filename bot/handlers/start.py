"""/start and the set-up buttons."""

from __future__ import annotations

from telegram import Update

from bot import buttons as b
from bot.flows import onboarding
from bot.flows.context import FlowContext


async def cmd_start(update: Update, ctx: FlowContext) -> None:
    await onboarding.start(ctx)


async def on_intro(update: Update, ctx: FlowContext, button: b.IntroButton) -> None:
    await onboarding.on_intro(ctx, button.choice)


async def on_go(update: Update, ctx: FlowContext, button: b.GoButton) -> None:
    await onboarding.on_go(ctx, button.choice)


async def on_zone(update: Update, ctx: FlowContext, button: b.ZoneButton) -> None:
    await onboarding.on_zone_button(ctx, button.zone)


async def on_time(update: Update, ctx: FlowContext, button: b.TimeButton) -> None:
    await onboarding.on_time_button(ctx, button.minutes)


async def on_band(update: Update, ctx: FlowContext, button: b.BandButton) -> None:
    await onboarding.on_band(ctx, button.has_band)
