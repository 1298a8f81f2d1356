"""Builds the Application: handlers, rate limiter, the one reminder job, start-up hooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import texts
from bot.deps import DEPS_KEY, Deps
from bot.handlers import (
    data_rights,
    errors,
    general,
    onboarding,
    phase,
    progress,
    reminders,
    screening,
    session,
    settings,
    zone_time,
)
from bot.update_order import PerUserUpdateProcessor
from config import Settings
from db.engine import Database

log = logging.getLogger(__name__)
DISPATCH_JOB = "reminder-dispatch"

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    # Deliberate silence for edits and channel posts; groups only hear "talk to me privately".
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED | filters.UpdateType.CHANNEL_POSTS, general.ignore), group=-1
    )
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, general.on_group), group=-1)
    # Buttons only live on messages in the presser's own private chat; others are refused here.
    app.add_handler(TypeHandler(Update, general.refuse_foreign_button), group=-1)

    commands = {
        "start": onboarding.start,
        "help": general.cmd_help,
        "cancel": general.cmd_cancel,
        "stretch": session.cmd_stretch,
        "progress": progress.cmd_progress,
        "settings": settings.cmd_settings,
        "pause": settings.cmd_pause,
        "resume": settings.cmd_resume,
        "export": data_rights.cmd_export,
        "delete": data_rights.cmd_delete,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE))

    buttons: dict[str, Callable] = {  # type: ignore[type-arg]
        "ob": onboarding.on_intro_button,
        "go": onboarding.on_go,
        "rf": screening.on_answer,
        "scr": screening.on_control,
        "tz": zone_time.on_timezone_button,
        "tm": zone_time.on_time_button,
        "pb": session.on_pain,
        "pa": session.on_pain,
        "x": session.on_step,
        "h": session.on_hurt_choice,
        "rs": session.on_resume,
        "rm": reminders.on_button,
        "st": settings.on_button,
        "wd": settings.on_weekday,
        "ci": phase.on_checkin,
        "fl": phase.on_flare,
        "del": data_rights.on_confirm,
    }
    for prefix, callback in buttons.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=f"^{prefix}:"))
    app.add_handler(CallbackQueryHandler(general.on_unknown_button))

    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, general.on_unknown_command))
    app.add_handler(MessageHandler(PRIVATE & filters.LOCATION, general.on_location))
    app.add_handler(MessageHandler(PRIVATE & filters.TEXT, general.on_text))
    app.add_handler(MessageHandler(PRIVATE, general.on_other_message))
    app.add_handler(ChatMemberHandler(general.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(errors.on_error)


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    deps: Deps = app.bot_data[DEPS_KEY]
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in texts.COMMANDS])
    if app.job_queue is not None and app.bot_data.get("schedule_dispatch", True):
        app.job_queue.run_repeating(
            reminders.dispatch_job, deps.settings.dispatch_interval_seconds, first=1.0, name=DISPATCH_JOB
        )


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    deps: Deps = app.bot_data[DEPS_KEY]
    await deps.db.dispose()
    log.info("database closed")


def build_application(
    settings: Settings,
    db: Database,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
    rate_limit: bool = True,
    schedule_dispatch: bool = True,
) -> Application:  # type: ignore[type-arg]
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .concurrent_updates(PerUserUpdateProcessor(settings.concurrent_updates, db))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        builder = builder.rate_limiter(
            # One request per 1/rate seconds, no bursts: a burst of `rate` after a pause
            # breaks Telegram's "N per second" and earns 429s (bench/bench_dispatch.py).
            AIORateLimiter(
                overall_max_rate=1, overall_time_period=1 / settings.send_rate_per_second, max_retries=3
            )
        )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    deps = Deps(settings=settings, db=db)
    if clock is not None:
        deps.clock = clock
    app.bot_data[DEPS_KEY] = deps
    app.bot_data["schedule_dispatch"] = schedule_dispatch
    register_handlers(app)
    return app


ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHANNEL_POST,
    Update.MY_CHAT_MEMBER,
]
