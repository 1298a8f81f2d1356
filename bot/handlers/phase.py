"""Phase changes: store them, tell the user once, and take the check-in and flare-up answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update
from telegram.ext import ContextTypes

from bot.deps import get_deps
from bot.domain.phases import Phase, Transition, answer_checkin, flare_up, phase_change_message
from bot.domain.schedule import local_today
from bot.handlers.common import ack, button_choice, expired, keyboard, pressing_user, settle
from bot.services import store
from bot.services.planner import phase_state, plan_next
from db.models import User

CHECKIN_ROWS = [[("Yes, less sore", "ci:less")], [("Still sore", "ci:sore")]]


async def apply_transition(
    bot: Bot, s: AsyncSession, user: User, transition: Transition, now: datetime
) -> None:
    """Persist a phase change with its date and announce it in one friendly message."""
    new = transition.new
    await store.log_phase_change(
        s, user.id, transition.old.value, new.phase.value, transition.reason, new.started_on, now
    )
    user.phase = new.phase.value
    user.phase_started_on = new.started_on
    user.checkin_on = new.checkin_on
    markup = keyboard(CHECKIN_ROWS) if new.phase is Phase.CHECKIN else None
    await bot.send_message(user.chat_id, phase_change_message(transition), reply_markup=markup)
    plan_next(user, now)


async def on_checkin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    choice = await button_choice(update, "ci", ("less", "sore"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s)
        if user is None:
            return
        if user.phase != Phase.CHECKIN.value:
            await expired(update)
            return
        await ack(update)
        await settle(update, "Less sore" if choice == "less" else "Still sore")
        now = deps.now()
        transition = answer_checkin(phase_state(user), choice == "less", local_today(now, user.timezone))
        await apply_transition(context.bot, s, user, transition, now)


async def offer_flare(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Pain rose clearly: offer a return to daily practice (only meaningful outside daily)."""
    if Phase(user.phase) in (Phase.MAINTENANCE, Phase.CHECKIN):
        await context.bot.send_message(
            user.chat_id,
            "Your pain is up. Would you like to go back to daily stretching for a while?",
            reply_markup=keyboard([[("Yes, daily again", "fl:yes"), ("No, thanks", "fl:no")]]),
        )


async def on_flare(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    choice = await button_choice(update, "fl", ("yes", "no", "ask"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s, onboarded=True)
        if user is None:
            return
        await ack(update)
        now = deps.now()
        if choice == "ask":
            await settle(update)
            await offer_flare(update, context, user)
            if Phase(user.phase) not in (Phase.MAINTENANCE, Phase.CHECKIN):
                await context.bot.send_message(
                    user.chat_id, "You're already on daily practice. Go gently, and stop anything that hurts."
                )
            return
        if choice == "no":
            await settle(update, "No, thanks")
            return
        transition = flare_up(phase_state(user), local_today(now, user.timezone))
        await settle(update, "Yes, daily again")
        if transition is None:
            await context.bot.send_message(user.chat_id, "You're already on daily practice.")
            return
        await apply_transition(context.bot, s, user, transition, now)
