"""The red-flag screen: rounds of yes/no questions, asked one at a time.

A round is the full screen (onboarding, or a redo after a stop), the emergency questions
again after a symptom change (a re-check), or the questions an existing user was never
asked. The round and its answers live on the user row; the rules (which question comes
next, what a round's answers mean) are bot/domain/screening.py. A stop (emergency) or a
pause (see a doctor) stays in force until the user takes an explicit way back: every
later message leads to the stop's own message, never to a question.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import buttons as b
from bot.domain import screening as rules
from bot.domain.schedule import local_today
from bot.domain.screening import Outcome, Question, ScreenStatus, Tier, WayBack
from bot.domain.symptoms import Trigger
from bot.effects import Button, Keyboard
from bot.flows.context import FlowContext
from bot.services import sessions, store
from bot.views import general as general_view
from bot.views import safety as view
from db.models import User

WAYS = {WayBack.REDO_SCREEN: b.ScreenControl.REDO, WayBack.CLINICIAN_CLEARED: b.ScreenControl.CLEARED}


def current_round(user: User) -> tuple[Question, ...]:
    keys = user.screen_round or [q.key for q in rules.full_screen()]
    return tuple(rules.question(k) for k in keys)


def stopped(user: User) -> bool:
    return rules.is_stopped(user.screen_status)


def asking(user: User) -> bool:
    return user.screen_status in (ScreenStatus.PENDING, ScreenStatus.RECHECK)


def _ways_keyboard(ctx: FlowContext, status: ScreenStatus) -> Keyboard:
    return tuple(
        (Button(view.way_back_label(ctx.tr, way), b.ScreenButton(WAYS[way]).pack()),)
        for way in rules.ways_back(status)
    )


def show_stop(ctx: FlowContext, user: User, *, first: bool = False) -> None:
    """The stop's message with its ways back: when it begins, and for anything after."""
    status = user.screen_status
    text = view.stop_message(ctx.tr, status) if first else view.stopped_notice(ctx.tr, status)
    ctx.send(text, _ways_keyboard(ctx, status))


def ask(ctx: FlowContext, user: User) -> None:
    """The round's next question, with Yes/No buttons that name it."""
    questions = current_round(user)
    question = rules.next_question(user.screen_answers, questions)
    if question is None:
        return
    yes, no = view.answer_labels(ctx.tr)
    number = sum(1 for q in questions if q.key in user.screen_answers) + 1
    ctx.send(
        view.question_prompt(ctx.tr, question, number, len(questions)),
        (
            (
                Button(yes, b.ScreenAnswer(question.key, True).pack()),
                Button(no, b.ScreenAnswer(question.key, False).pack()),
            ),
        ),
    )


def _begin(
    ctx: FlowContext, user: User, status: ScreenStatus, questions: Sequence[Question], intro: str
) -> None:
    user.screen_status = status
    user.screen_round = [q.key for q in questions]
    user.screen_answers = {}
    ctx.send(intro)
    ask(ctx, user)


def start(ctx: FlowContext, user: User) -> None:
    """The full screen: at onboarding, and when the user re-does it after a stop."""
    user.screen_triggers = []
    _begin(ctx, user, ScreenStatus.PENDING, rules.full_screen(), view.screen_intro(ctx.tr))


def start_recheck(ctx: FlowContext, user: User, triggers: frozenset[Trigger]) -> None:
    """The emergency questions again, after a change in symptoms."""
    user.screen_triggers = sorted(t.value for t in triggers)
    user.last_recheck_on = local_today(ctx.now, user.timezone)
    _begin(ctx, user, ScreenStatus.RECHECK, rules.recheck_questions(), view.recheck_intro(ctx.tr, triggers))


def resume_round(ctx: FlowContext, user: User) -> None:
    """A round under way: its next question again (after /stretch, a hint, a restart).

    A round nobody has answered yet (the questions an existing user was never asked)
    first says why it comes."""
    questions = current_round(user)
    if not user.screen_answers and user.onboarded and user.screen_status is ScreenStatus.PENDING:
        full = len(questions) == len(rules.full_screen())
        ctx.send(
            view.screen_intro(ctx.tr, len(questions)) if full else view.update_intro(ctx.tr, len(questions))
        )
    ask(ctx, user)


def _triggers(user: User) -> frozenset[Trigger]:
    return frozenset(Trigger(t) for t in user.screen_triggers)


async def answer(ctx: FlowContext, user: User, key: str, yes: bool) -> Outcome | None:
    """Record one answer; the round's outcome once it is over (None: not the current question)."""
    tr = ctx.tr
    if stopped(user):
        ctx.answer()
        show_stop(ctx, user)
        return None
    questions = current_round(user)
    expected = rules.next_question(user.screen_answers, questions) if asking(user) else None
    if expected is None or expected.key != key:
        ctx.answer(general_view.expired(tr))
        return None
    ctx.answer()
    await store.log_screening(ctx.s, user.id, key, expected.tier.value, yes, ctx.now)
    yes_label, no_label = view.answer_labels(tr)
    ctx.settle(yes_label if yes else no_label)
    user.screen_answers = {**user.screen_answers, key: yes}
    result = rules.outcome(user.screen_answers, questions)
    if result is Outcome.IN_PROGRESS:
        if yes and expected.tier is Tier.DOCTOR_TODAY:
            ctx.send(view.doctor_today_noted(tr))
        ask(ctx, user)
        return result
    recheck = user.screen_status is ScreenStatus.RECHECK
    user.screen_status = rules.status_after(result, user.screen_status)
    user.screened_at = ctx.now
    if result is Outcome.CLEAR:
        ctx.send(view.recheck_clear(tr, _triggers(user)) if recheck else view.screen_clear(tr))
        user.screen_round = None
        user.screen_answers = {}
        if not user.paused:
            await store.end_pause(ctx.s, user.id, local_today(ctx.now, user.timezone))
        return result
    # Stopped or paused: no reminders, no session, until a way back is taken.
    user.next_reminder_at = None
    await store.start_pause(ctx.s, user.id, local_today(ctx.now, user.timezone), user.screen_status.value)
    await sessions.abandon_open(ctx.s, user.id, ctx.now)
    show_stop(ctx, user, first=True)
    return result


async def take_way_back(ctx: FlowContext, user: User, way: WayBack) -> ScreenStatus | None:
    """Redo or "a clinician has cleared me"; the new status, or None (the stop again)."""
    never_asked = (
        [q for q in current_round(user) if q.key not in user.screen_answers] if user.screen_round else []
    )
    status = rules.after_way_back(user.screen_status, way, never_asked)
    if status is None:
        show_stop(ctx, user)
        return None
    if way is WayBack.CLINICIAN_CLEARED:
        user.cleared_at = ctx.now
    if status is ScreenStatus.CLEAR:
        user.screen_status = status
        user.screen_round = None
        user.screen_answers = {}
        if not user.paused:
            await store.end_pause(ctx.s, user.id, local_today(ctx.now, user.timezone))
    elif way is WayBack.REDO_SCREEN:
        start(ctx, user)
    else:  # cleared, with questions this user was never asked
        user.screen_status = status
        user.screen_round = [q.key for q in never_asked]
        user.screen_answers = {}
        ctx.send(view.update_intro(ctx.tr, len(never_asked)))
        ask(ctx, user)
    return status
