"""/export (all of a user's data as a JSON file) and /delete (erase it all)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ContextTypes

from bot.deps import get_deps
from bot.handlers.common import ack, expired, parse_data, reply, settle
from bot.handlers.session import cancel_timers
from bot.services import store
from db.models import (
    ExerciseResult,
    PhaseChange,
    PracticeSession,
    ReminderLog,
    ScreeningAnswer,
    User,
)

EXPORT_VERSION = 1


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


async def cmd_export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    chat = update.effective_chat
    assert tg is not None and chat is not None
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None:
            await reply(update, context, "I have no data about you.")
            return
        data = await export_data(s, user)
    payload = json.dumps(data, indent=2, ensure_ascii=False).encode()
    await context.bot.send_document(
        chat.id,
        payload,
        filename="stretch-coach-data.json",
        caption="All the data I keep about you, as JSON.",
    )


async def cmd_delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    tg = update.effective_user
    assert tg is not None
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
    if user is None:
        await reply(update, context, "I have no data about you.")
        return
    await reply(
        update,
        context,
        "This erases everything I know about you: settings, sessions, pain ratings and "
        "reminders. It can't be undone. Are you sure?",
        [[("Yes, erase everything", f"del:{user.id}:yes")], [("No, keep it", f"del:{user.id}:no")]],
    )


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = get_deps(context)
    parts = parse_data(update, "del", 2)
    tg = update.effective_user
    if parts is None or tg is None or parts[1] not in ("yes", "no"):
        await expired(update)
        return
    async with deps.db.session() as s:
        user = await store.get_user(s, tg.id)
        if user is None or str(user.id) != parts[0]:
            await expired(update)
            return
        await ack(update)
        if parts[1] == "no":
            await settle(update, "Kept. Nothing was erased.")
            return
        open_session = await store.open_session(s, user.id)
        if open_session is not None:
            cancel_timers(context, open_session.id)
        await store.delete_user_everywhere(s, user.id)
        await settle(update, "Erased")
    await reply(
        update,
        context,
        "Done: everything about you is erased and no more reminders will "
        "come. Send /start if you ever want to begin again. Take care! 💙",
    )
