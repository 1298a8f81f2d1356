"""The reminder's buttons: start now, snooze, skip today; and the dispatch job itself."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update as sql_update
from telegram import Update
from telegram.ext import ContextTypes

from bot.deps import get_deps
from bot.domain.schedule import local_today
from bot.handlers import session
from bot.handlers.common import ack, as_int, expired, parse_data, reply, settle
from bot.services import store
from bot.services.dispatch import dispatch_due
from bot.services.planner import plan_next, plan_snooze
from db.models import ReminderLog

log = logging.getLogger(__name__)


async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One scheduler tick: batches back to back while full, so a backlog (08:00 for many
    users, or after downtime) drains at the send rate rather than one batch per tick."""
    deps = get_deps(context)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deps.settings.dispatch_interval_seconds * 0.9
    while True:
        report = await dispatch_due(context.bot, deps)
        if report.selected < deps.settings.dispatch_batch_size or loop.time() >= deadline:
            return


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "rm", 2)
    log_id = as_int(parts[0], 1, 2**31) if parts else None
    action = parts[1] if parts else ""
    tg = update.effective_user
    if log_id is None or tg is None or action not in ("go", "s30", "s60", "skip"):
        await expired(update)
        return
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        entry = await s.get(ReminderLog, log_id)
        if user is None or entry is None or entry.user_id != user.id:
            await expired(update)
            return
        if action == "go":
            await ack(update)
            await settle(update, "Starting now")
            await session.open_or_offer_resume(update, context, s, user)
            return
        now = deps.now()
        if entry.local_date != local_today(now, user.timezone):
            await expired(update, "That reminder was for an earlier day.")
            return
        claimed = await s.execute(
            sql_update(ReminderLog)
            .where(ReminderLog.id == entry.id, ReminderLog.action.is_(None))
            .values(action="skip" if action == "skip" else f"snooze{action[1:]}")
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            await expired(update, "Already done.")
            return
        await ack(update)
        if action == "skip":
            plan_next(user, now, skip_today=True)
            await settle(update, "Skipped today")
            await reply(update, context, "No problem. Rest up, and pick up tomorrow. 🌱")
            return
        minutes = int(action[1:])
        plan_snooze(user, now, minutes)
        await settle(update, f"Snoozed {minutes} min")
        local = (now + timedelta(minutes=minutes)).astimezone(ZoneInfo(user.timezone))
        await reply(update, context, f"Okay, I'll remind you again at {local:%H:%M}.")
