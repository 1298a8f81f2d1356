"""Data rights: /export (everything about the user, as a file) and /delete (erase it all)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.effects import Button
from bot.flows.context import FlowContext
from bot.services import store
from bot.views import data as view
from bot.views import general as general_view
from db.models import (
    ChatSlot,
    ExerciseResult,
    InboxUpdate,
    OutboxEffect,
    PhaseChange,
    PracticeSession,
    ReminderLog,
    ScreeningAnswer,
    User,
)

EXPORT_VERSION = 2


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


async def export_data(s: AsyncSession, user: User) -> dict[str, Any]:
    """Everything stored about the user; the format is documented in the README."""
    sessions = (
        (
            await s.execute(
                select(PracticeSession)
                .where(PracticeSession.user_id == user.id)
                .order_by(PracticeSession.started_at)
            )
        )
        .scalars()
        .all()
    )
    ids = [p.id for p in sessions]
    results = (
        (
            await s.execute(
                select(ExerciseResult)
                .where(ExerciseResult.session_id.in_(ids))
                .order_by(ExerciseResult.recorded_at)
            )
        )
        .scalars()
        .all()
        if ids
        else []
    )
    by_session: dict[int, list[dict[str, Any]]] = {}
    for result in results:
        by_session.setdefault(result.session_id, []).append(_row(result, ("id", "session_id")))

    async def rows(model: Any) -> list[dict[str, Any]]:
        found = (await s.execute(select(model).where(model.user_id == user.id))).scalars().all()
        return [_row(r, ("user_id",)) for r in found]

    return {
        "format": "stretch-coach-export",
        "version": EXPORT_VERSION,
        "profile": _row(user),
        "sessions": [{**_row(p, ("user_id",)), "results": by_session.get(p.id, [])} for p in sessions],
        "reminders": await rows(ReminderLog),
        "screening_answers": await rows(ScreeningAnswer),
        "phase_changes": await rows(PhaseChange),
    }


async def export(ctx: FlowContext) -> None:
    user = await ctx.user()
    if user is None:
        ctx.send(view.no_data(ctx.tr))
        return
    ctx.file("export", {"export": await export_data(ctx.s, user)}, caption=view.export_caption(ctx.tr))


async def ask_delete(ctx: FlowContext) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None:
        ctx.send(view.no_data(tr))
        return
    ctx.send(
        view.delete_question(tr),
        (
            (Button(view.delete_yes(tr), b.DeleteButton(user.id, True).pack()),),
            (Button(view.delete_no(tr), b.DeleteButton(user.id, False).pack()),),
        ),
    )


async def delete_everything(s: AsyncSession, user: User) -> None:
    """Every row about the user, including updates and messages still waiting."""
    await store.delete_user_everywhere(s, user.id)
    await s.execute(delete(InboxUpdate).where(InboxUpdate.user_key == user.telegram_id))
    await s.execute(delete(OutboxEffect).where(OutboxEffect.chat_id == user.chat_id))
    await s.execute(delete(ChatSlot).where(ChatSlot.chat_id == user.chat_id))


async def confirm_delete(ctx: FlowContext, user_id: int, confirm: bool) -> None:
    user = await ctx.user()
    tr = ctx.tr
    if user is None or user.id != user_id:
        ctx.answer(general_view.expired(tr))
        return
    ctx.answer()
    if not confirm:
        ctx.edit_pressed(view.kept(tr))
        return
    await delete_everything(ctx.s, user)
    ctx.edit_pressed(view.erased_note(tr))
    ctx.send(view.erased(tr))
