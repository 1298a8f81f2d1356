"""The bare reference bot for the start-up and memory benchmarks: PTB's tutorial echo bot.

Application + one MessageHandler + run_polling, nothing else (PTB's defaults, so its
JobQueue too when APScheduler is installed, as it is here). Reads the same variables
as the real bot: BOT_TOKEN, TELEGRAM_BASE_URL, TELEGRAM_BASE_FILE_URL.

    BOT_TOKEN=... TELEGRAM_BASE_URL=http://127.0.0.1:PORT/bot python bench/echo_bot.py
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


def main() -> None:
    builder = Application.builder().token(os.environ["BOT_TOKEN"])
    if "TELEGRAM_BASE_URL" in os.environ:
        builder = builder.base_url(os.environ["TELEGRAM_BASE_URL"])
    if "TELEGRAM_BASE_FILE_URL" in os.environ:
        builder = builder.base_file_url(os.environ["TELEGRAM_BASE_FILE_URL"])
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
