"""The one global error handler: log with context, apologise briefly, leak nothing."""

from __future__ import annotations

import logging

from sqlalchemy import update as sql_update
from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import get_deps
from db.models import User

log = logging.getLogger("bot.errors")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    chat_id = user_id = None
    kind = "background task" if update is None else "update"
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        user_id = update.effective_user.id if update.effective_user else None
        kind = "callback" if update.callback_query else "message" if update.message else "update"
    if isinstance(error, Forbidden) and user_id is not None:
        log.info("user %s blocked the bot; marking them blocked", user_id)
        try:
            async with get_deps(context).db.session() as s:
                await s.execute(
                    sql_update(User)
                    .where(User.telegram_id == user_id)
                    .values(blocked=True, next_reminder_at=None)
                )
        except Exception:
            log.exception("could not mark user %s blocked", user_id)
        return
    if update is None and isinstance(error, NetworkError):
        # Polling or a job lost Telegram for a moment; PTB retries, no traceback needed.
        log.warning("Telegram unreachable (%s: %s); retrying", type(error).__name__, error)
        return
    log.error(
        "error handling %s (chat %s, user %s): %s",
        kind,
        chat_id,
        user_id,
        type(error).__name__,
        exc_info=error,
    )
    if chat_id is None:
        return
    try:
        if isinstance(update, Update) and update.callback_query:
            try:
                await update.callback_query.answer(texts.ERROR, show_alert=False)
            except TelegramError:
                pass
        await context.bot.send_message(chat_id, texts.ERROR)
    except TelegramError:
        log.warning("could not tell chat %s about the error", chat_id)
