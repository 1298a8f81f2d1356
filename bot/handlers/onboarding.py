"""/start: welcome -> disclaimer -> red-flag screen -> time zone -> reminder time -> first session.

Why not PTB's ConversationHandler: its state lives in one process's memory. Here the
step is a column of the user row, read on every update, so a restart or a second
process behind the same webhook carries on exactly where the user was.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import get_deps
from bot.handlers import screening, zone_time
from bot.handlers.common import ack, button_choice, expired, pressing_user, reply, settle
from bot.services import store
from bot.services.planner import plan_next
from db.models import User


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    chat = update.effective_chat
    assert tg is not None and chat is not None
    async with deps.db.session() as s:
        user = await store.get_or_create_user(
            s, tg.id, chat.id, tg.first_name or "", deps.settings.default_timezone
        )
        user.chat_id = chat.id
        if user.blocked:
            user.blocked = False
            plan_next(user, deps.now())
        if not user.onboarded and user.screen_status not in ("emergency", "see_doctor"):
            await show_step(update, context, user)
            return
        await _show_home(update, context, user)


async def _show_home(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    if user.screen_status == "emergency":
        await reply(update, context, texts.BLOCKED_EMERGENCY, [[("Re-do the safety questions", "scr:redo")]])
        return
    if user.screen_status == "see_doctor":
        await reply(
            update,
            context,
            texts.BLOCKED_DOCTOR,
            [[("A clinician has cleared me", "scr:cleared")], [("Re-do the safety questions", "scr:redo")]],
        )
        return
    from bot.handlers.status import status_line

    await reply(
        update,
        context,
        f"Welcome back, {user.first_name or 'friend'}!\n\n{status_line(user)}\n\n{texts.HELP}",
        [[("▶️ Start today's session", "go:now")]],
    )


async def show_step(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Ask whatever the user's onboarding step asks; used by /start and by hints."""
    step = user.onboarding_step
    if step == "welcome":
        name = user.first_name or "there"
        await reply(update, context, texts.WELCOME.format(name=name), [[("Let's go", "ob:welcome")]])
    elif step == "disclaimer":
        await reply(update, context, texts.DISCLAIMER, [[("I understand", "ob:agree")]])
    elif step == "screen":
        await screening.ask(update, context, user)
    elif step == "timezone":
        await zone_time.ask_timezone(update, context, user)
    elif step == "reminder_time":
        await zone_time.ask_time(update, context)
    elif step == "first":
        await reply(
            update,
            context,
            texts.ASK_FIRST,
            [[("▶️ Start now", "go:now")], [("Wait for my reminder", "go:later")]],
        )


async def on_intro_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    choice = await button_choice(update, "ob", ("welcome", "agree"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s)
        if user is None:
            return
        expected = {"welcome": "welcome", "agree": "disclaimer"}.get(choice)
        if expected is None or user.onboarding_step != expected:
            await expired(update)
            return
        await ack(update)
        if choice == "welcome":
            user.onboarding_step = "disclaimer"
            await settle(update)
        else:
            user.onboarding_step = "screen"
            user.consent_at = deps.now()
            user.screen_index = 0
            user.screen_status = "pending"
            await settle(update, "I understand")
            await reply(update, context, texts.SCREEN_INTRO)
        await show_step(update, context, user)


async def after_screen_clear(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Called once the screen is clear: onboarding moves on, an onboarded user resumes."""
    deps = get_deps(context)
    if not user.onboarded:
        if user.onboarding_step == "screen":
            user.onboarding_step = "timezone"
        await show_step(update, context, user)
        return
    plan_next(user, deps.now())
    await reply(update, context, "Thanks. Your program is running again. Send /stretch when you're ready.")


async def finish(update: Update, context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Leave onboarding: the habit phase starts today and the first reminder is planned."""
    deps = get_deps(context)
    from bot.domain.schedule import local_today

    user.onboarding_step = "done"
    user.phase = "habit"
    user.phase_started_on = local_today(deps.now(), user.timezone)
    plan_next(user, deps.now())


async def on_go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`go:now` starts a session (end of onboarding or home screen); `go:later` waits."""
    deps = get_deps(context)
    choice = await button_choice(update, "go", ("now", "later"))
    if choice is None:
        return
    async with deps.db.session() as s:
        user = await pressing_user(update, s)
        if user is None:
            return
        finishing = user.onboarding_step == "first"
        if not finishing and not (user.onboarded and choice == "now"):
            await expired(update)
            return
        await ack(update)
        if finishing:
            await finish(update, context, user)
        if choice == "later":
            await settle(update, "Later")
            at = user.reminder_time.strftime("%H:%M") if user.reminder_time else "your chosen time"
            await reply(update, context, texts.FIRST_LATER.format(time=at))
            return
        await settle(update, "Start now")
        from bot.handlers.session import open_or_offer_resume

        await open_or_offer_resume(update, context, s, user)
