"""The red-flag screen: asked one question at a time, at onboarding and again when
symptoms change. A stop (emergency) or a pause (see a doctor) stays in force until the
user takes an explicit way back; every later message leads to it, never to a question."""

from __future__ import annotations

from enum import StrEnum

from bot import buttons as b
from bot.domain.screening import Question, Tier, questions_for
from bot.effects import Button
from bot.flows.context import FlowContext
from bot.services import sessions, store
from bot.views import general as general_view
from bot.views import screening as view
from db.models import User
from db.states import ScreenStatus


class Outcome(StrEnum):
    NEXT = "next"  # another question was asked
    EMERGENCY = "emergency"
    DOCTOR = "doctor"
    CLEAR = "clear"


def questions(user: User) -> tuple[Question, ...]:
    return questions_for(emergency_only=user.screen_status is ScreenStatus.RECHECK)


def stopped(user: User) -> bool:
    return user.screen_status in (ScreenStatus.EMERGENCY, ScreenStatus.DOCTOR)


def asking(user: User) -> bool:
    return user.screen_status in (ScreenStatus.PENDING, ScreenStatus.RECHECK) and (
        user.screen_status is ScreenStatus.RECHECK or user.onboarding_step.value == "screen"
    )


def show_stop(ctx: FlowContext, user: User) -> None:
    """The stop's own message with its ways back; shown for anything while it holds."""
    tr = ctx.tr
    redo = (Button(view.redo_button(tr), b.ScreenButton(b.ScreenControl.REDO).pack()),)
    if user.screen_status is ScreenStatus.EMERGENCY:
        ctx.send(view.stopped_emergency(tr), (redo,))
    else:
        cleared = (Button(view.cleared_button(tr), b.ScreenButton(b.ScreenControl.CLEARED).pack()),)
        ctx.send(view.paused_doctor(tr), (cleared, redo))


def ask(ctx: FlowContext, user: User) -> None:
    qs = questions(user)
    index = min(user.screen_index, len(qs) - 1)
    question = qs[index]
    tr = ctx.tr
    ctx.send(
        view.question(tr, index + 1, len(qs), question.text),
        (
            (
                Button(view.yes(tr), b.ScreenAnswer(question.key, True).pack()),
                Button(view.no(tr), b.ScreenAnswer(question.key, False).pack()),
            ),
        ),
    )


def start(ctx: FlowContext, user: User) -> None:
    """The full screen (onboarding, or a redo after a stop)."""
    user.screen_status = ScreenStatus.PENDING
    user.screen_index = 0
    ctx.send(view.intro(ctx.tr))
    ask(ctx, user)


def start_recheck(ctx: FlowContext, user: User) -> None:
    """The emergency questions again, after a symptom change."""
    user.screen_status = ScreenStatus.RECHECK
    user.screen_index = 0
    ctx.send(view.recheck_intro(ctx.tr))
    ask(ctx, user)


async def answer(ctx: FlowContext, user: User, key: str, yes: bool) -> Outcome | None:
    """Record one answer; None (and an "expired" notice) if it is not the current question."""
    tr = ctx.tr
    if user.screen_status not in (ScreenStatus.PENDING, ScreenStatus.RECHECK):
        if stopped(user):
            ctx.answer()
            show_stop(ctx, user)
        else:
            ctx.answer(general_view.expired(tr))
        return None
    qs = questions(user)
    index = user.screen_index
    if index >= len(qs) or qs[index].key != key:
        ctx.answer(general_view.expired(tr))
        return None
    ctx.answer()
    question = qs[index]
    await store.log_screening(ctx.s, user.id, question.key, question.tier.value, yes, ctx.now)
    ctx.edit_pressed(general_view.settled(view.question(tr, index + 1, len(qs), question.text), view.yes(tr) if yes else view.no(tr)))
    if yes and question.tier is Tier.EMERGENCY:
        user.screen_status = ScreenStatus.EMERGENCY
        user.screened_at = ctx.now
        user.next_reminder_at = None
        await sessions.abandon_open(ctx.s, user.id, ctx.now)
        ctx.send(view.emergency(tr), ((Button(view.redo_button(tr), b.ScreenButton(b.ScreenControl.REDO).pack()),),))
        return Outcome.EMERGENCY
    if yes:
        user.screen_status = ScreenStatus.DOCTOR
        user.screened_at = ctx.now
        user.next_reminder_at = None
        ctx.send(
            view.see_doctor(tr),
            ((Button(view.cleared_button(tr), b.ScreenButton(b.ScreenControl.CLEARED).pack()),),),
        )
        return Outcome.DOCTOR
    user.screen_index = index + 1
    if user.screen_index < len(qs):
        ask(ctx, user)
        return Outcome.NEXT
    user.screen_status = ScreenStatus.CLEAR
    user.screened_at = ctx.now
    ctx.send(view.clear(tr))
    return Outcome.CLEAR
