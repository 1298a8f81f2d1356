"""/help, /cancel, typed text, locations, media, unknown commands and group chats."""

from __future__ import annotations

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import get_deps
from bot.handlers import onboarding, session, zone_time
from bot.handlers.common import expired, known_user, reply
from bot.services import store
from db.models import User


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, texts.HELP)


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None:
            await reply(update, context, texts.NOTHING_TO_CANCEL)
            return
        if await session.cancel_session(context, s, user):
            await reply(
                update,
                context,
                "Session ended. Everything you did so far is saved. Send /stretch to start again.",
                reply_markup=ReplyKeyboardRemove(),
            )
            return
        if user.awaiting is not None:
            user.awaiting = None
            await reply(update, context, "Okay, nothing changed.", reply_markup=ReplyKeyboardRemove())
            return
        if not user.onboarded:
            await reply(
                update,
                context,
                "Okay, we'll stop here. Send /start to continue setting up where you left off.",
                reply_markup=ReplyKeyboardRemove(),
            )
            return
    await reply(update, context, texts.NOTHING_TO_CANCEL)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed text: a zone or time when one is expected, otherwise a hint and the current step."""
    deps = get_deps(context)
    tg = update.effective_user
    message = update.effective_message
    assert tg is not None and message is not None
    text = (message.text or "").strip()
    async with deps.db.session() as s:
        user = await known_user(update, context, s)
        if user is None:
            return
        if text and await zone_time.typed(update, context, user, text[:200]):
            return
        await _hint(update, context, s, user)


async def _hint(update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, user: User) -> None:
    if await session.show_current_for(update, context, s, user):
        return
    if not user.onboarded:
        await reply(update, context, texts.USE_BUTTONS)
        await onboarding.show_step(update, context, user)
        return
    await reply(update, context, texts.FREE_TEXT_IDLE)


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await known_user(update, context, s)
        if user is None:
            return
        if await zone_time.located(update, context, user):
            return
        await reply(
            update, context, "Thanks! I only use a location to set your time zone, so I haven't kept it."
        )
        await _hint(update, context, s, user)


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: kindly point back to the buttons."""
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await known_user(update, context, s)
        if user is None:
            return
        await reply(update, context, "I can't read that kind of message, but I'm still here.")
        await _hint(update, context, s, user)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, context, texts.UNKNOWN_COMMAND)


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer commands only, and only to say the bot works in private."""
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        await reply(update, context, texts.GROUP_ONLY_PRIVATE)
    raise ApplicationHandlerStop


async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edited messages and channel posts: a deliberate silence."""
    raise ApplicationHandlerStop


async def refuse_foreign_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press must come from a message in the presser's own private chat.

    An inline-mode query (no message) or one on someone else's or a group's message can
    only come from a forged client; answering it would write into a chat we cannot see.
    """
    query = update.callback_query
    if query is None:
        return
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type == chat.PRIVATE and chat.id == query.from_user.id:
        return
    await expired(update)
    raise ApplicationHandlerStop


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await expired(update)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A user blocked the bot in their private chat: stop reminders until they /start again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status not in ("kicked", "left"):
        return
    async with get_deps(context).db.session() as s:
        await s.execute(
            sql_update(User)
            .where(User.telegram_id == change.chat.id)
            .values(blocked=True, next_reminder_at=None)
        )
