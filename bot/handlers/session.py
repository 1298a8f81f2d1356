"""/stretch: the guided session, one exercise and side at a time.

The session row holds the step and stage; every button names its session and
step, and moves the row with a compare-and-set, so a double tap, a stale button
or a second bot process can never record a result twice. Hold timers are
JobQueue jobs that re-check the row when they fire: after a restart the timer is
gone, and "continue" simply shows the step again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import session_view as view
from bot import texts
from bot.deps import Deps, get_deps
from bot.domain.phases import after_practice, pain_rise_is_flare
from bot.domain.routine import STEPS, next_exercise_step
from bot.domain.schedule import local_today
from bot.handlers.common import (
    Rows,
    ack,
    as_int,
    expired,
    keyboard,
    parse_data,
    pressing_user,
    reply,
    retire,
    settle,
)
from bot.services import sessions, store
from bot.services.planner import phase_state, plan_next
from db.models import PracticeSession, User

log = logging.getLogger(__name__)
END = len(STEPS)


def refusal(user: User | None) -> str | None:
    """Why this user may not start a session right now (None = they may)."""
    if user is None:
        return texts.NOT_STARTED
    if user.screen_status == "emergency":
        return texts.BLOCKED_EMERGENCY
    if user.screen_status == "see_doctor":
        return texts.BLOCKED_DOCTOR
    if not user.onboarded:
        return texts.FINISH_ONBOARDING
    return None


def _job_name(session_id: int) -> str:
    return f"hold:{session_id}"


def cancel_timers(context: ContextTypes.DEFAULT_TYPE, session_id: int) -> None:
    if context.job_queue is None:
        return
    for job in context.job_queue.get_jobs_by_name(_job_name(session_id)):
        job.schedule_removal()


async def cmd_stretch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        await open_or_offer_resume(update, context, s, user)


async def open_or_offer_resume(
    update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, user: User | None
) -> None:
    """Shared by /stretch and every "start now" button."""
    deps = get_deps(context)
    reason = refusal(user)
    if reason is not None:
        await reply(update, context, reason)
        return
    assert user is not None
    now = deps.now()
    today = local_today(now, user.timezone)
    current = await store.open_session(s, user.id)
    if current is not None and current.local_date == today:
        await reply(
            update,
            context,
            f"You have a session in progress (at {sessions.progress_label(current.step)}). "
            "Carry on where you left off?",
            view.resume_rows(current.id),
        )
        return
    if current is not None:
        cancel_timers(context, current.id)
        await sessions.abandon_open(s, user.id, now)
    await _begin(update, context, s, user)


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, user: User) -> None:
    deps = get_deps(context)
    now = deps.now()
    practice = await sessions.open_new(s, user.id, local_today(now, user.timezone), now)
    if practice is None:
        await reply(update, context, "A session is already open. Send /stretch to continue it.")
        return
    message = await reply(update, context, view.pain_question(after=False), view.pain_rows(practice.id, "pb"))
    practice.message_id = message.message_id


async def _show_current(context: ContextTypes.DEFAULT_TYPE, chat_id: int, practice: PracticeSession) -> None:
    """Send the prompt for wherever the session stands, moving the live buttons to it."""
    await retire(context, chat_id, practice.message_id)
    text, rows = _prompt(practice)
    message = await context.bot.send_message(chat_id, text, reply_markup=keyboard(rows))
    practice.message_id = message.message_id


def _prompt(practice: PracticeSession) -> tuple[str, Rows]:
    if practice.stage == "pain_before":
        return view.pain_question(after=False), view.pain_rows(practice.id, "pb")
    if practice.stage == "pain_after" or practice.step >= END:
        return view.pain_question(after=True), view.pain_rows(practice.id, "pa")
    step = STEPS[practice.step]
    if practice.stage == "hurt":
        return view.HURT_ADVICE, view.hurt_rows(practice.id, step)
    return view.step_text(step), view.step_rows(practice.id, step)


async def show_current_for(
    update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, user: User
) -> bool:
    """Free text mid-session: a one-line hint and the current buttons again."""
    practice = await store.open_session(s, user.id)
    if practice is None:
        return False
    await reply(update, context, "Tap a button below to go on, or /cancel to stop the session.")
    if practice.stage == "holding":
        practice.stage = "exercise"
        cancel_timers(context, practice.id)
    await _show_current(context, user.chat_id, practice)
    return True


async def _load(
    update: Update, context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, session_id: int
) -> tuple[User, PracticeSession] | None:
    """The user and their session named by a button, or None after telling them why not."""
    user = await pressing_user(update, s)
    if user is None:
        return None
    practice = await store.get_practice_session(s, session_id)
    if practice is None or practice.user_id != user.id or practice.status != "open":
        await expired(update, "That session has ended.")
        return None
    return user, practice


async def on_pain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    query = update.callback_query
    prefix = (query.data or "").split(":", 1)[0] if query else ""
    parts = parse_data(update, prefix, 2) if prefix in ("pb", "pa") else None
    session_id = as_int(parts[0], 1, 2**31) if parts else None
    rating = as_int(parts[1], 0, 10) if parts else None
    if session_id is None or rating is None:
        await expired(update)
        return
    async with deps.db.session() as s:
        loaded = await _load(update, context, s, session_id)
        if loaded is None:
            return
        user, practice = loaded
        if prefix == "pb":
            moved = await store.move_session(
                s,
                practice,
                from_step=0,
                from_stages=("pain_before",),
                stage="exercise",
                pain_before=rating,
            )
            if not moved:
                await expired(update, "Already noted.")
                return
            await ack(update)
            if user.first_pain is None:
                user.first_pain = rating
            await retire(
                context, user.chat_id, practice.message_id, f"Pain before: {rating}/10. Let's begin."
            )
            practice.message_id = None
            await _show_current(context, user.chat_id, practice)
            return
        moved = await store.move_session(
            s, practice, from_step=practice.step, from_stages=("pain_after",), pain_after=rating
        )
        if not moved:
            await expired(update, "Already noted.")
            return
        await ack(update)
        await _finish(update, context, s, deps, user, practice, rating)


async def _finish(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    s: AsyncSession,
    deps: Deps,
    user: User,
    practice: PracticeSession,
    rating: int,
) -> None:
    now = deps.now()
    results = await store.session_results(s, practice.id)
    summary = sessions.summarise(results)
    practice.status = "completed" if summary.counts else "incomplete"
    practice.stage = "done"
    practice.ended_at = now
    await retire(context, user.chat_id, practice.message_id, f"Pain after: {rating}/10.")
    await s.flush()
    lines = [view.summary_text(summary, practice.pain_before, rating)]
    from bot.handlers.status import streak_line

    lines.append(await streak_line(s, user, now))
    await reply(update, context, "\n\n".join(lines))
    today = local_today(now, user.timezone)
    if summary.counts:
        from bot.handlers.phase import apply_transition

        state = phase_state(user)
        counted = await store.counted_days_since(s, user.id, state.started_on)
        transition = after_practice(state, counted, today)
        if transition is not None:
            await apply_transition(context.bot, s, user, transition, now)
    plan_next(user, now)
    if pain_rise_is_flare(user.first_pain, rating):
        from bot.handlers.phase import offer_flare
        from bot.handlers.screening import start_rescreen

        await start_rescreen(update, context, user)
        await offer_flare(update, context, user)


async def on_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "x", 3)
    session_id = as_int(parts[0], 1, 2**31) if parts else None
    index = as_int(parts[1], 0, END - 1) if parts else None
    action = parts[2] if parts else ""
    if session_id is None or index is None or action not in ("t", "d", "s", "p"):
        await expired(update)
        return
    async with deps.db.session() as s:
        loaded = await _load(update, context, s, session_id)
        if loaded is None:
            return
        user, practice = loaded
        step = STEPS[index]
        now = deps.now()
        if action == "t":
            if not step.exercise.dose.timed:
                await expired(update)
                return
            seconds = step.exercise.dose.timer_seconds
            until = now + timedelta(seconds=seconds * deps.settings.timer_scale)
            if not await store.move_session(
                s, practice, from_step=index, from_stages=("exercise",), stage="holding", hold_until=until
            ):
                await expired(update, "That step has moved on.")
                return
            await ack(update, "Timer started")
            await _edit_live(
                context,
                user.chat_id,
                practice.message_id,
                view.holding_text(step, seconds),
                view.holding_rows(practice.id, step),
            )
            _schedule_hold(context, deps, practice.id, index, user.chat_id, seconds)
            return
        if action == "p":
            if not await store.move_session(
                s,
                practice,
                from_step=index,
                from_stages=("exercise", "holding"),
                stage="hurt",
                hold_until=None,
            ):
                await expired(update, "That step has moved on.")
                return
            cancel_timers(context, practice.id)
            await store.record_result(s, practice.id, step.exercise.key, step.side, "stopped_pain", now)
            await ack(update)
            await retire(context, user.chat_id, practice.message_id, view.outcome_line(step, "stopped_pain"))
            practice.message_id = None
            await _show_current(context, user.chat_id, practice)
            return
        outcome = "done" if action == "d" else "skipped"
        if not await _advance(context, s, practice, user, index, outcome, ("exercise", "holding")):
            await expired(update, "Already recorded.")
            return
        await ack(update)


async def _advance(
    context: ContextTypes.DEFAULT_TYPE,
    s: AsyncSession,
    practice: PracticeSession,
    user: User,
    index: int,
    outcome: str,
    from_stages: tuple[str, ...],
    *,
    lead: str | None = None,
) -> bool:
    """Record the step's outcome and move to the next step; False if someone else already did."""
    step = STEPS[index]
    following = index + 1
    stage = "exercise" if following < END else "pain_after"
    if not await store.move_session(
        s, practice, from_step=index, from_stages=from_stages, step=following, stage=stage, hold_until=None
    ):
        return False
    cancel_timers(context, practice.id)
    await store.record_result(s, practice.id, step.exercise.key, step.side, outcome, get_deps(context).now())
    await retire(context, user.chat_id, practice.message_id, view.outcome_line(step, outcome))
    practice.message_id = None
    if lead:
        await context.bot.send_message(user.chat_id, lead)
    await _show_current(context, user.chat_id, practice)
    return True


async def on_hurt_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "h", 3)
    session_id = as_int(parts[0], 1, 2**31) if parts else None
    index = as_int(parts[1], 0, END - 1) if parts else None
    if session_id is None or index is None or parts is None or parts[2] not in ("n", "e", "w"):
        await expired(update)
        return
    async with deps.db.session() as s:
        loaded = await _load(update, context, s, session_id)
        if loaded is None:
            return
        user, practice = loaded
        if parts[2] == "w":
            await _stop_for_new_symptoms(update, context, s, user, practice, index)
            return
        target = next_exercise_step(index) if parts[2] == "n" else END
        stage = "exercise" if target < END else "pain_after"
        if not await store.move_session(
            s, practice, from_step=index, from_stages=("hurt",), step=target, stage=stage
        ):
            await expired(update, "Already chosen.")
            return
        await ack(update)
        await retire(
            context,
            user.chat_id,
            practice.message_id,
            "Going on gently." if parts[2] == "n" else "Ending the session here. Rest well.",
        )
        practice.message_id = None
        await _show_current(context, user.chat_id, practice)


async def _stop_for_new_symptoms(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    s: AsyncSession,
    user: User,
    practice: PracticeSession,
    index: int,
) -> None:
    """New numbness or weakness: end the session (results kept) and re-ask the emergency questions."""
    if practice.step != index or practice.stage != "hurt":
        await expired(update, "Already chosen.")
        return
    await ack(update)
    await retire(context, user.chat_id, practice.message_id, "Stopping the session here.")
    await sessions.abandon_open(s, user.id, get_deps(context).now())
    from bot.handlers.screening import start_rescreen

    await start_rescreen(update, context, user)


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "rs", 2)
    session_id = as_int(parts[0], 1, 2**31) if parts else None
    if session_id is None or parts is None or parts[1] not in ("c", "r", "e"):
        await expired(update)
        return
    async with deps.db.session() as s:
        loaded = await _load(update, context, s, session_id)
        if loaded is None:
            return
        user, practice = loaded
        await ack(update)
        choice = parts[1]
        cancel_timers(context, practice.id)
        if choice == "c":
            await settle(update, "Continuing.")
            if practice.stage == "holding":
                practice.stage = "exercise"
                practice.hold_until = None
            await _show_current(context, user.chat_id, practice)
            return
        await sessions.abandon_open(s, user.id, deps.now())
        await retire(context, user.chat_id, practice.message_id)
        if choice == "r":
            await settle(update, "Starting over.")
            await _begin(update, context, s, user)
        else:
            await settle(update, "Ended. Your results so far are saved.")


async def cancel_session(context: ContextTypes.DEFAULT_TYPE, s: AsyncSession, user: User) -> bool:
    """/cancel inside a session: end it as abandoned, keep its results."""
    practice = await store.open_session(s, user.id)
    if practice is None:
        return False
    cancel_timers(context, practice.id)
    await retire(context, user.chat_id, practice.message_id)
    await sessions.abandon_open(s, user.id, get_deps(context).now())
    return True


async def _edit_live(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None, text: str, rows: Rows
) -> None:
    if message_id is None:
        return
    try:
        await context.bot.edit_message_text(text, chat_id, message_id, reply_markup=keyboard(rows))
    except TelegramError as exc:
        log.debug("timer edit skipped: %s", exc)


TICK_SECONDS = 10


def _schedule_hold(
    context: ContextTypes.DEFAULT_TYPE, deps: Deps, session_id: int, index: int, chat_id: int, seconds: int
) -> None:
    if context.job_queue is None:
        return
    scale = deps.settings.timer_scale
    data = {"session_id": session_id, "index": index, "chat_id": chat_id, "seconds": seconds}
    name = _job_name(session_id)
    # A countdown edit every 10 s stays far inside Telegram's edit limits.
    for left in range(seconds - TICK_SECONDS, 0, -TICK_SECONDS):
        context.job_queue.run_once(_tick, (seconds - left) * scale, data={**data, "left": left}, name=name)
    context.job_queue.run_once(_hold_over, seconds * scale, data=data, name=name)


async def _still_holding(deps: Deps, session_id: int, index: int) -> PracticeSession | None:
    async with deps.db.session() as s:
        practice = await store.get_practice_session(s, session_id)
        if practice and practice.status == "open" and practice.stage == "holding" and practice.step == index:
            return practice
    return None


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    data = context.job.data
    assert isinstance(data, dict)
    practice = await _still_holding(get_deps(context), data["session_id"], data["index"])
    if practice is None:
        return
    step = STEPS[data["index"]]
    await _edit_live(
        context,
        data["chat_id"],
        practice.message_id,
        view.holding_text(step, data["left"]),
        view.holding_rows(practice.id, step),
    )


async def _hold_over(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The hold is over: record it done and tell the user to release or switch sides."""
    assert context.job is not None
    data = context.job.data
    assert isinstance(data, dict)
    deps = get_deps(context)
    index = data["index"]
    async with deps.db.session() as s:
        practice = await store.get_practice_session(s, data["session_id"])
        if practice is None or practice.status != "open":
            return
        user = await s.get(User, practice.user_id)
        if user is None:
            return
        following = STEPS[index + 1] if index + 1 < END else None
        await _advance(
            context,
            s,
            practice,
            user,
            index,
            "done",
            ("holding",),
            lead=view.transition_line(STEPS[index], following),
        )
