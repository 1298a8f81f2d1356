"""Small helpers every handler uses: who is asking, how to answer, how to read buttons."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.services import store
from db.models import User

log = logging.getLogger(__name__)

Rows = Sequence[Sequence[tuple[str, str]]]


def keyboard(rows: Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def parse_data(update: Update, prefix: str, parts: int) -> list[str] | None:
    """Split `prefix:a:b` into its parts; None for anything malformed or forged."""
    query = update.callback_query
    if query is None or not query.data:
        return None
    bits = query.data.split(":")
    if bits[0] != prefix or len(bits) != parts + 1:
        return None
    return bits[1:]


async def button_choice(update: Update, prefix: str, allowed: tuple[str, ...]) -> str | None:
    """The choice a one-part button (`prefix:choice`) names; None, answered, if it is not one."""
    parts = parse_data(update, prefix, 1)
    if parts is None or parts[0] not in allowed or update.effective_user is None:
        await expired(update)
        return None
    return parts[0]


def as_int(value: str, low: int, high: int) -> int | None:
    # isdigit() also accepts "²" and the like, which int() refuses: ASCII digits only.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    number = int(value)
    return number if low <= number <= high else None


async def ack(update: Update, text: str | None = None) -> None:
    """Answer the button press once; a query that is too old is not worth an error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.debug("callback answer refused: %s", exc)


async def expired(update: Update, text: str = texts.BUTTON_EXPIRED) -> None:
    await ack(update, text)


async def reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    rows: Rows | None = None,
    **kwargs: object,
) -> Message:
    chat = update.effective_chat
    assert chat is not None
    markup = keyboard(rows) if rows else kwargs.pop("reply_markup", None)
    return await context.bot.send_message(chat.id, text, reply_markup=markup, **kwargs)  # type: ignore[arg-type]


async def settle(update: Update, note: str | None = None) -> None:
    """Turn the pressed message into plain history: keep its text, add the answer, drop buttons."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    old = query.message.text or ""
    try:
        if note:
            await query.message.edit_text(f"{old}\n\n→ {note}"[:4096])
        else:
            await query.message.edit_reply_markup(None)
    except TelegramError as exc:
        log.debug("could not settle message: %s", exc)


async def retire(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None, text: str | None = None
) -> None:
    """Edit an earlier bot message into history (new text, no buttons), tolerating it being gone."""
    if message_id is None:
        return
    try:
        if text:
            await context.bot.edit_message_text(text[:4096], chat_id, message_id)
        else:
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except TelegramError as exc:
        log.debug("could not retire message %s: %s", message_id, exc)


async def pressing_user(update: Update, s: AsyncSession, *, onboarded: bool = False) -> User | None:
    """The row of whoever pressed the button; None (after telling them) if we never met,
    or, with `onboarded`, if their set-up is unfinished (the button cannot be current)."""
    tg = update.effective_user
    user = await store.get_user(s, tg.id) if tg else None
    if user is None:
        await expired(update, texts.NOT_STARTED)
        return None
    if onboarded and not user.onboarded:
        await expired(update)
        return None
    return user


async def known_user(update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession) -> User | None:
    """The sender's row; None (after a friendly "send /start") if we never met."""
    tg = update.effective_user
    user = await store.get_user(s, tg.id) if tg else None
    if user is None:
        await reply(update, context, texts.NOT_STARTED)
    return user
