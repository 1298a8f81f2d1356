"""Time zone and reminder time: asked during onboarding, changed from /settings."""

from __future__ import annotations

import re
from datetime import time

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import get_deps
from bot.domain.timeparse import (
    describe_zone,
    offset_zone,
    parse_time,
    parse_timezone,
    suggest_timezones,
    timezone_from_location,
)
from bot.handlers.common import ack, expired, parse_data, reply, settle
from bot.services import store
from bot.services.planner import plan_next
from db.models import User

PICK_OFFSET = "🌐 Pick UTC offset"
KEEP_PREFIX = "Keep "
TIME_CHOICES = ("06:00", "07:00", "08:00", "09:00", "12:00", "17:00", "18:00", "19:00", "20:00", "21:00")
OFFSETS = (
    -600,
    -480,
    -420,
    -360,
    -300,
    -240,
    -180,
    -120,
    -60,
    0,
    60,
    120,
    180,
    210,
    240,
    300,
    330,
    345,
    360,
    420,
    480,
    540,
    570,
    600,
    660,
    720,
    780,
)


def expects_timezone(user: User) -> bool:
    return user.onboarding_step == "timezone" or user.awaiting == "timezone"


def expects_time(user: User) -> bool:
    return user.onboarding_step == "reminder_time" or user.awaiting == "time"


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


async def ask_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    location = ReplyKeyboardMarkup(
        [
            [KeyboardButton("📍 Share my location", request_location=True)],
            [KeyboardButton(PICK_OFFSET)],
            [KeyboardButton(f"{KEEP_PREFIX}{user.timezone}")],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await reply(update, context, texts.ASK_TIMEZONE, reply_markup=location)


async def ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rows = [
        [(t, f"tm:{t.replace(':', '')}") for t in TIME_CHOICES[i : i + 3]]
        for i in range(0, len(TIME_CHOICES), 3)
    ]
    await reply(update, context, texts.ASK_TIME, rows)


async def _offset_grid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rows = [[(_offset_label(m), f"tz:{m:+d}") for m in OFFSETS[i : i + 4]] for i in range(0, len(OFFSETS), 4)]
    await reply(update, context, "Pick your current UTC offset:", rows)


async def apply_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, zone: str) -> None:
    deps = get_deps(context)
    user.timezone = zone
    await reply(
        update,
        context,
        texts.TIMEZONE_SET.format(zone=describe_zone(zone, deps.now())),
        reply_markup=ReplyKeyboardRemove(),
    )
    if user.onboarding_step == "timezone":
        user.onboarding_step = "reminder_time"
        await ask_time(update, context)
        return
    user.awaiting = None
    plan_next(user, deps.now())
    await _confirm_next(update, context, user)


async def apply_time(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, at: time) -> None:
    deps = get_deps(context)
    user.reminder_time = at
    await reply(update, context, texts.TIME_SET.format(time=at.strftime("%H:%M")))
    if user.onboarding_step == "reminder_time":
        user.onboarding_step = "first"
        from bot.handlers.onboarding import show_step

        await show_step(update, context, user)
        return
    user.awaiting = None
    plan_next(user, deps.now())
    await _confirm_next(update, context, user)


async def _confirm_next(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    from bot.handlers.status import next_reminder_line

    await reply(update, context, next_reminder_line(user, get_deps(context).now()))


async def on_timezone_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    query = update.callback_query
    tg = update.effective_user
    value = query.data[3:] if query and query.data and query.data.startswith("tz:") else ""
    if not value or tg is None:
        await expired(update)
        return
    zone = offset_zone(int(value)) if re.fullmatch(r"[+-]?\d{1,4}", value) else parse_timezone(value)
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None or zone is None or not expects_timezone(user):
            await expired(update)
            return
        await ack(update)
        await settle(update, zone)
        await apply_timezone(update, context, user, zone)


async def on_time_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "tm", 1)
    tg = update.effective_user
    at = parse_time(parts[0][:2] + ":" + parts[0][2:]) if parts and len(parts[0]) == 4 else None
    if at is None or tg is None:
        await expired(update)
        return
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None or not expects_time(user):
            await expired(update)
            return
        await ack(update)
        await settle(update, at.strftime("%H:%M"))
        await apply_time(update, context, user, at)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User, text: str) -> bool:
    """Handle text typed while a zone or time is expected; False when neither is."""
    if expects_timezone(user):
        if text == PICK_OFFSET:
            await _offset_grid(update, context)
            return True
        candidate = text[len(KEEP_PREFIX) :] if text.startswith(KEEP_PREFIX) else text
        zone = parse_timezone(candidate)
        if zone is not None:
            await apply_timezone(update, context, user, zone)
            return True
        suggestions = suggest_timezones(text)
        await reply(
            update,
            context,
            texts.TIMEZONE_HINT.format(text=text[:64]),
            [[(z, f"tz:{z}")] for z in suggestions if len(f"tz:{z}".encode()) <= 64],
        )
        return True
    if expects_time(user):
        at = parse_time(text)
        if at is None:
            await reply(update, context, texts.TIME_HINT.format(text=text[:64]))
            await ask_time(update, context)
            return True
        await apply_time(update, context, user, at)
        return True
    return False


async def located(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> bool:
    message = update.effective_message
    if message is None or message.location is None or not expects_timezone(user):
        return False
    zone = timezone_from_location(message.location.latitude, message.location.longitude)
    if zone is None:
        await reply(
            update,
            context,
            "I couldn't find a time zone there. Type your city instead, or tap “Pick UTC offset”.",
        )
        return True
    await apply_timezone(update, context, user, zone)
    return True
