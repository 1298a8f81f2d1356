"""Which handler an update goes to: commands, button families, message kinds.

Also the routing policy that needs no database: edits and channel posts are ignored on
purpose, groups only hear that the bot works in private, and a button is only taken from
a message in the presser's own private chat (anything else can only come from a forged
client, and answering it would write into a chat we cannot see).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot import buttons as b
from bot.flows.context import FlowContext, Sender
from bot.handlers import data, general, phases, progress, reminders, safety, session, settings, start
from bot.views import general as general_view

# While a stop or pause is in force these still work; everything else shows the stop.
PAST_THE_STOP = frozenset({"help", "urgent", "export", "delete", "cancel"})
BUTTONS_PAST_THE_STOP = frozenset({b.ScreenButton, b.DeleteButton})

Handler = Callable[[Update, FlowContext], Awaitable[None]]
ButtonHandler = Callable[[Update, FlowContext, Any], Awaitable[None]]

COMMANDS: dict[str, Handler] = {
    "start": start.cmd_start,
    "help": general.cmd_help,
    "urgent": safety.cmd_urgent,
    "cancel": general.cmd_cancel,
    "stretch": session.cmd_stretch,
    "progress": progress.cmd_progress,
    "report": progress.cmd_report,
    "settings": settings.cmd_settings,
    "pause": settings.cmd_pause,
    "resume": settings.cmd_resume,
    "export": data.cmd_export,
    "delete": data.cmd_delete,
}

BUTTONS: dict[type[b.ButtonData], ButtonHandler] = {
    b.IntroButton: start.on_intro,
    b.GoButton: start.on_go,
    b.ZoneButton: start.on_zone,
    b.TimeButton: start.on_time,
    b.BandButton: start.on_band,
    b.ScreenAnswer: safety.on_answer,
    b.ScreenButton: safety.on_control,
    b.PainButton: session.on_pain,
    b.StepButton: session.on_step,
    b.HurtButton: session.on_hurt,
    b.ResumeButton: session.on_resume,
    b.HoldButton: session.on_hold,
    b.ReminderButton: reminders.on_button,
    b.SettingsButton: settings.on_button,
    b.WeekdayButton: settings.on_weekday,
    b.LanguageButton: settings.on_language,
    b.CheckinButton: phases.on_checkin,
    b.FlareButton: phases.on_flare,
    b.FollowUpButton: safety.on_followup,
    b.DeleteButton: data.on_confirm,
}


def command_of(text: str, bot_username: str | None = None) -> str | None:
    """`/stretch@OurBot args` -> "stretch"; None if the text is not a command. A command
    addressed to another bot (`/delete@OtherBot`) is none of ours: "" (an unknown command)."""
    if not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0][1:]
    name, _, addressee = word.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return ""
    return name.lower()


def _bot_username(update: Update) -> str | None:
    try:
        return update.get_bot().username
    except RuntimeError:  # an update built without a bot (tests): trust the addressee
        return None


async def route(update: Update, ctx: FlowContext) -> None:
    if update.my_chat_member is not None:
        member = update.my_chat_member
        ctx.who = Sender(member.from_user.id, member.chat.id)
        await general.on_member_change(update, ctx)
        return
    user, chat = update.effective_user, update.effective_chat
    if user is None or update.edited_message or update.channel_post or update.edited_channel_post:
        return
    if chat is None:
        if update.callback_query is not None:
            # A button on an inline-mode message: never one of ours. Stop its spinner.
            ctx.who = Sender(user.id, user.id, user.first_name or "", user.language_code)
            ctx.query_id = update.callback_query.id
            ctx.answer(general_view.expired(ctx.tr))
        return
    ctx.who = Sender(user.id, chat.id, user.first_name or "", user.language_code)
    query = update.callback_query
    if query is not None:
        await _button(update, ctx)
        return
    message = update.message
    if message is None:
        return
    if chat.type != "private":
        await general.in_group(update, ctx)
        return
    command = command_of(message.text or "", _bot_username(update))
    if command is not None:
        if command not in PAST_THE_STOP and await safety.stop_gate(update, ctx):
            return
        await COMMANDS.get(command, general.on_unknown_command)(update, ctx)
    elif message.location is not None:
        await general.on_location(update, ctx)
    elif message.text:
        await general.on_text(update, ctx)
    else:
        await general.on_other(update, ctx)


async def _button(update: Update, ctx: FlowContext) -> None:
    query = update.callback_query
    assert query is not None
    ctx.query_id = query.id
    message = query.message
    own_chat = (
        message is not None and message.chat.type == "private" and message.chat.id == query.from_user.id
    )
    button = b.parse(query.data) if own_chat else None
    handler = BUTTONS.get(type(button)) if button is not None else None
    if handler is None:
        ctx.answer(general_view.expired(ctx.tr))
        return
    assert message is not None
    ctx.pressed_message_id = message.message_id
    ctx.pressed_text = getattr(message, "text", None)
    if isinstance(button, b.StepButton) and await session.quick_step(ctx, button):
        return  # the common step tap: its UPDATE checked owner, stop, session and step itself
    if type(button) not in BUTTONS_PAST_THE_STOP and await safety.stop_gate(update, ctx):
        return
    await handler(update, ctx, button)
