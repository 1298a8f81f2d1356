"""/settings, /pause and /resume: every change re-plans the next reminder at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import get_deps
from bot.handlers import zone_time
from bot.handlers.common import (
    ack,
    button_choice,
    keyboard,
    known_user,
    pressing_user,
    reply,
    settle,
)
from bot.handlers.status import WEEKDAY_NAMES, next_reminder_line
from bot.services.planner import plan_next
from db.models import User


def _summary(user: User, now: datetime) -> str:
    at = user.reminder_time.strftime("%H:%M") if user.reminder_time else "not set"
    days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(user.weekdays)) or "none"
    return (
        "Your settings:\n"
        f"⏰ Reminder time: {at}\n"
        f"🌍 Time zone: {user.timezone}\n"
        f"📅 Practice days (maintenance): {days}\n"
        f"🔔 Reminders: {'paused' if user.paused else 'on'}\n\n"
        f"{next_reminder_line(user, now)}"
    )


def _rows(user: User) -> list[list[tuple[str, str]]]:
    return [
        [("⏰ Reminder time", "st:time"), ("🌍 Time zone", "st:tz")],
        [("📅 Practice days", "st:days")],
        [("▶️ Resume reminders", "st:resume") if user.paused else ("⏸ Pause reminders", "st:pause")],
        [("😣 My back is flaring up", "fl:ask")],
    ]


async def _onboarded_user(update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession) -> User | None:
    user = await known_user(update, context, s)
    if user is None:
        return None
    if not user.onboarded:
        await reply(update, context, texts.FINISH_ONBOARDING)
        return None
    return user


async def cmd_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    async with deps.db.session() as s:
        user = await _onboarded_user(update, context, s)
        if user is not None:
            await reply(update, context, _summary(user, deps.now()), _rows(user))


async def set_paused(update: Update, context: ContextTypes.DEFAULT_TYPE, paused: bool) -> None:
    deps = get_deps(context)
    async with deps.db.session() as s:
        user = await _onboarded_user(update, context, s)
        if user is None:
            return
        user.paused = paused
        plan_next(user, deps.now())
        if paused:
            await reply(
                update,
                context,
                "Reminders paused. Send /resume whenever you're ready; /stretch still works any time.",
            )
        else:
            await reply(update, context, "Reminders are back on. " + next_reminder_line(user, deps.now()))


async def cmd_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await set_paused(update, context, True)


async def cmd_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await set_paused(update, context, False)


def _day_rows(user: User) -> list[list[tuple[str, str]]]:
    days = user.weekdays
    row = [(("✅ " if d in days else "") + WEEKDAY_NAMES[d], f"wd:{d}") for d in range(7)]
    return [row[:4], row[4:], [("Save", "wd:ok")]]


DAYS_TEXT = (
    "Pick the days for maintenance practice (3-4 a week works well). "
    "Tap to switch a day on or off, then Save."
)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    choice = await button_choice(update, "st", ("time", "tz", "days", "pause", "resume"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s, onboarded=True)
        if user is None:
            return
        await ack(update)
        await settle(update)
        choice = choice
        if choice == "time":
            user.awaiting = "time"
            await zone_time.ask_time(update, context)
        elif choice == "tz":
            user.awaiting = "timezone"
            await zone_time.ask_timezone(update, context, user)
        elif choice == "days":
            await reply(update, context, DAYS_TEXT, _day_rows(user))
        else:
            user.paused = choice == "pause"
            plan_next(user, deps.now())
            await reply(
                update,
                context,
                ("Reminders paused." if user.paused else "Reminders are back on.")
                + " "
                + next_reminder_line(user, deps.now()),
            )


async def on_weekday(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    choice = await button_choice(update, "wd", ("0", "1", "2", "3", "4", "5", "6", "ok"))
    if choice is None:
        return
    day = None if choice == "ok" else int(choice)
    async with deps.db.session() as s:
        user = await pressing_user(update, s, onboarded=True)
        if user is None:
            return
        if day is None:
            await ack(update)
            plan_next(user, deps.now())
            names = ", ".join(WEEKDAY_NAMES[d] for d in sorted(user.weekdays))
            await settle(update, f"Saved: {names}")
            if len(user.weekdays) < 3:
                await reply(update, context, "Saved. Tip: 3-4 days a week keeps the benefit going.")
            return
        days = set(user.weekdays)
        if day in days and len(days) == 1:
            await ack(update, "Keep at least one day.")
            return
        days.symmetric_difference_update({day})
        user.weekdays = frozenset(days)
        plan_next(user, deps.now())
        await ack(update)
        query = update.callback_query
        if query is not None and query.message is not None:
            try:
                await query.edit_message_reply_markup(keyboard(_day_rows(user)))
            except TelegramError:
                pass
