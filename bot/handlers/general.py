"""/help, /cancel, typed text, locations, other media, unknown commands, groups, blocks."""

from __future__ import annotations

import unicodedata

from telegram import Update

from bot.flows import general
from bot.flows.context import FlowContext


async def cmd_help(update: Update, ctx: FlowContext) -> None:
    await general.help_(ctx)


async def cmd_cancel(update: Update, ctx: FlowContext) -> None:
    await general.cancel(ctx)


async def on_unknown_command(update: Update, ctx: FlowContext) -> None:
    await general.on_unknown_command(ctx)


async def on_text(update: Update, ctx: FlowContext) -> None:
    message = update.effective_message
    text = message.text or "" if message else ""
    # Invisible format characters (direction marks from right-to-left keyboards) are not input.
    await general.on_text(ctx, "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip())


async def on_location(update: Update, ctx: FlowContext) -> None:
    message = update.effective_message
    assert message is not None and message.location is not None
    await general.on_location(ctx, message.location.latitude, message.location.longitude)


async def on_other(update: Update, ctx: FlowContext) -> None:
    await general.on_other(ctx)


async def in_group(update: Update, ctx: FlowContext) -> None:
    message = update.effective_message
    general.in_group(ctx, bool(message and message.text and message.text.startswith("/")))


async def on_member_change(update: Update, ctx: FlowContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status in ("kicked", "left"):
        await general.blocked(ctx, change.chat.id)
