"""The red-flag screen: full at onboarding, emergency tier again when pain rises."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import get_deps
from bot.domain.screening import Tier, questions_for
from bot.handlers.common import ack, as_int, button_choice, expired, parse_data, pressing_user, reply, settle
from bot.services import sessions, store
from db.models import User


def _questions(user: User) -> tuple:
    return questions_for(emergency_only=user.screen_status == "rescreen")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    questions = _questions(user)
    index = min(user.screen_index, len(questions) - 1)
    question = questions[index]
    await reply(
        update,
        context,
        f"{index + 1}/{len(questions)}. {question.text}",
        [[("Yes", f"rf:{index}:y"), ("No", f"rf:{index}:n")]],
    )


async def start_rescreen(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Ask the emergency questions again (pain rose 2+ points, or new numbness/weakness)."""
    user.screen_status = "rescreen"
    user.screen_index = 0
    await reply(update, context, texts.RESCREEN_INTRO)
    await ask(update, context, user)


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "rf", 2)
    tg = update.effective_user
    if parts is None or tg is None or parts[1] not in ("y", "n"):
        await expired(update)
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s)
        if user is None:
            return
        questions = _questions(user)
        index = as_int(parts[0], 0, len(questions) - 1)
        if user.screen_status not in ("pending", "rescreen") or index != user.screen_index:
            await expired(update)
            return
        await ack(update)
        yes = parts[1] == "y"
        question = questions[index]
        now = deps.now()
        await store.log_screening(s, user.id, question.key, question.tier.value, yes, now)
        await settle(update, "Yes" if yes else "No")
        if yes and question.tier is Tier.EMERGENCY:
            user.screen_status = "emergency"
            user.screened_at = now
            user.next_reminder_at = None
            await sessions.abandon_open(s, user.id, now)
            await reply(update, context, texts.EMERGENCY)
            return
        if yes:
            user.screen_status = "see_doctor"
            user.screened_at = now
            user.next_reminder_at = None
            await reply(update, context, texts.SEE_DOCTOR, [[("A clinician has cleared me", "scr:cleared")]])
            return
        user.screen_index = index + 1
        if user.screen_index < len(questions):
            await ask(update, context, user)
            return
        user.screen_status = "clear"
        user.screened_at = now
        await reply(update, context, texts.SCREEN_CLEAR)
        from bot.handlers.onboarding import after_screen_clear

        await after_screen_clear(update, context, user)


async def on_control(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`scr:cleared` (a clinician cleared me) and `scr:redo` (answer the screen again)."""
    deps = get_deps(context)
    choice = await button_choice(update, "scr", ("cleared", "redo"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s)
        if user is None:
            return
        if choice == "cleared" and user.screen_status == "see_doctor":
            await ack(update)
            await settle(update, "A clinician has cleared me")
            user.screen_status = "clear"
            user.cleared_at = deps.now()
            from bot.handlers.onboarding import after_screen_clear

            await after_screen_clear(update, context, user)
        elif choice == "redo" and user.screen_status in ("emergency", "see_doctor"):
            await ack(update)
            await settle(update)
            user.screen_status = "pending"
            user.screen_index = 0
            await reply(update, context, texts.SCREEN_INTRO)
            await ask(update, context, user)
        else:
            await expired(update)
