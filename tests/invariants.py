"""Checks shared by the hostile corpus and the reliability tests.

`assert_invariants`: what must hold in the database whatever the bot was fed (one result
per step, no orphans, at most one open session, ratings in range, the inbox handled and the
outbox delivered once the bot has settled).

`assert_chat_matches` and `Shown`: what the person sees (the emulator's chat) agrees with
what the database holds: the newest message carrying buttons for the open session offers
exactly the session's current stage and step, and nothing shows a session the database
has closed as still running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from bot import buttons as b
from bot.domain.routine import STEPS
from bot.i18n import translator
from bot.views import exercises as exercises_view
from bot.views import safety as safety_view
from bot.views import session as session_view
from db.engine import Database
from db.models import Base, InboxUpdate, PracticeSession, User
from db.states import Stage
from tgemu import TelegramUser
from tgemu.user import ChatMessage

_INVARIANTS = {
    "duplicate result for (session, exercise, side)": "SELECT session_id, exercise_key, side FROM exercise_results "
    "GROUP BY session_id, exercise_key, side HAVING COUNT(*) > 1",
    "result without a session": "SELECT r.id FROM exercise_results r LEFT JOIN practice_sessions s ON s.id = r.session_id "
    "WHERE s.id IS NULL",
    "session without a user": "SELECT s.id FROM practice_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL",
    "more than one open session per user": "SELECT user_id FROM practice_sessions WHERE status = 'open' GROUP BY user_id HAVING COUNT(*) > 1",
    "reminder log without a user": "SELECT r.id FROM reminder_log r LEFT JOIN users u ON u.id = r.user_id WHERE u.id IS NULL",
    "phase change without a user": "SELECT p.id FROM phase_changes p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
    "screening answer without a user": "SELECT a.id FROM screening_answers a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL",
    "pain rating outside 0-10": "SELECT id FROM practice_sessions WHERE pain_before NOT BETWEEN 0 AND 10 "
    "OR pain_after NOT BETWEEN 0 AND 10",
    "session step outside the routine": f"SELECT id FROM practice_sessions WHERE step < 0 OR step > {len(STEPS)}",
    "unknown outcome": "SELECT id FROM exercise_results WHERE outcome NOT IN ('done', 'skipped', 'stopped_pain')",
    "open session already at its end": "SELECT id FROM practice_sessions WHERE status = 'open' AND stage = 'done'",
    "finished session not at its end": "SELECT id FROM practice_sessions "
    "WHERE status IN ('completed', 'incomplete') AND (stage <> 'done' OR step <> " + str(len(STEPS)) + ")",
    "closed session without an end time": "SELECT id FROM practice_sessions WHERE status <> 'open' AND ended_at IS NULL",
    "hold running outside a hold": "SELECT id FROM practice_sessions WHERE hold_until IS NOT NULL AND stage <> 'holding'",
    "result for a step the session has not reached": "SELECT r.id FROM exercise_results r "
    "JOIN practice_sessions s ON s.id = r.session_id WHERE s.stage = 'pain_before'",
}

# Once the bot has settled (harness.pump() returned): every stored update handled, every
# decided effect delivered (the sender deletes outbox rows as Telegram confirms them).
_SETTLED = {
    "update still pending in the inbox": "SELECT update_id FROM inbox WHERE done_at IS NULL",
    "effect never delivered (outbox)": "SELECT id, chat_id FROM outbox",
}


async def _broken(db: Database, checks: dict[str, str]) -> dict[str, list[Any]]:
    broken: dict[str, list[Any]] = {}
    async with db.engine.connect() as conn:
        for name, sql in checks.items():
            rows = (await conn.execute(text(sql))).all()
            if rows:
                broken[name] = [tuple(r) for r in rows]
    return broken


async def assert_invariants(db: Database, *, settled: bool = True) -> None:
    """One row per (session, exercise, side), no orphans, at most one open session per user;
    with `settled`, also nothing left pending in the inbox or undelivered in the outbox."""
    checks = {**_INVARIANTS, **(_SETTLED if settled else {})}
    broken = await _broken(db, checks)
    assert broken == {}, f"database invariants broken: {broken}"


# Tables the pipeline writes for every update whatever the flow decides: the inbox keeps
# every update (that is how a redelivery is recognised), and `chat_slots`/`media_files`
# are the sender's notes about Telegram's message and file ids.
PIPELINE_TABLES = frozenset({"inbox", "outbox", "chat_slots", "media_files"})


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every state table, to prove a refused update changed nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in PIPELINE_TABLES:
                continue
            rows = await conn.execute(table.select().order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


async def failed_updates(db: Database) -> list[tuple[int, str]]:
    """Updates the worker gave up on as bugs (done, with the error's name kept)."""
    async with db.session() as s:
        rows = await s.execute(
            select(InboxUpdate.update_id, InboxUpdate.error).where(InboxUpdate.error.is_not(None))
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


# --------------------------------------------------------------------------- chat vs database


@dataclass(frozen=True)
class Shown:
    """What a message's session buttons offer: the stage and step they act on."""

    message_id: int
    stage: Stage
    step: int
    text: str


def session_buttons(message: ChatMessage, session_id: int) -> list[b.ButtonData]:
    found = [b.parse(data) for data in message.callback_data]
    return [
        button
        for button in found
        if isinstance(button, b.PainButton | b.StepButton | b.HurtButton) and button.session == session_id
    ]


def _offered(buttons: list[b.ButtonData]) -> tuple[Stage, int]:
    kinds = {type(button) for button in buttons}
    assert len(kinds) == 1, f"one message offers buttons of several session stages: {buttons}"
    first = buttons[0]
    if isinstance(first, b.PainButton):
        whens = {button.when for button in buttons}  # type: ignore[attr-defined]
        assert len(whens) == 1, buttons
        return (Stage.PAIN_BEFORE, 0) if first.when is b.PainWhen.BEFORE else (Stage.PAIN_AFTER, len(STEPS))
    steps = {button.step for button in buttons}  # type: ignore[attr-defined]
    assert len(steps) == 1, f"one message offers buttons for several steps: {buttons}"
    if isinstance(first, b.HurtButton):
        return Stage.HURT, first.step
    assert isinstance(first, b.StepButton)
    actions = {button.action for button in buttons}  # type: ignore[attr-defined]
    holding = b.StepAction.SKIP not in actions  # a running hold offers "done early" and "it hurts" only
    return (Stage.HOLDING if holding else Stage.EXERCISE), first.step


def live_card(user: TelegramUser, session_id: int) -> Shown | None:
    """The newest message in the chat with buttons for this session, as the person sees it."""
    for message in reversed(user.bot_messages()):
        buttons = session_buttons(message, session_id)
        if buttons:
            stage, step = _offered(buttons)
            return Shown(message.message_id, stage, step, message.text or "")
    return None


async def open_session(db: Database, telegram_id: int) -> PracticeSession | None:
    async with db.session() as s:
        return (
            await s.execute(
                select(PracticeSession)
                .join(User, User.id == PracticeSession.user_id)
                .where(User.telegram_id == telegram_id, PracticeSession.status == "open")
            )
        ).scalar_one_or_none()


def _card_text_fits(shown: Shown, user: User) -> bool:
    """The card's words are the very step its buttons act on (after any lead line)."""
    tr = translator(user.locale)
    if shown.stage is Stage.PAIN_BEFORE:
        return shown.text.endswith(session_view.pain_question(tr, after=False))
    if shown.stage is Stage.PAIN_AFTER:
        return shown.text.endswith(session_view.pain_question(tr, after=True))
    if shown.stage is Stage.HURT:
        return shown.text.endswith(safety_view.hurt_prompt(tr))
    step = STEPS[shown.step]
    variant = step.exercise.variant_for(user.has_band is not False)
    if shown.stage is Stage.HOLDING:
        return shown.text.startswith(exercises_view.header(tr, step.exercise, variant))
    hold = user.hold_seconds.get(step.exercise.key)
    return shown.text.endswith(exercises_view.step_text(tr, step, variant=variant, hold_seconds=hold))


async def assert_chat_matches(db: Database, user: TelegramUser, *, copies: bool = False) -> Shown | None:
    """The person is never looking at a step, or a result, the database does not hold.

    With a session open: the newest message with its buttons offers exactly the stored stage
    and step (so the next tap continues), and its words are that step's. With none open: no
    message offers a live session button for a session that is not open, unless `copies`
    (a send whose answer was lost can leave an extra copy of a card that the bot never
    learned about; see test_delivery_failures.py for why its buttons are harmless).
    Returns the live card.
    """
    practice = await open_session(db, user.user_id)
    if practice is None:
        if copies:
            return None
        async with db.session() as s:
            closed = (await s.execute(select(PracticeSession.id))).scalars().all()
        for session_id in closed:
            stale = live_card(user, session_id)
            assert stale is None, (
                f"message {stale.message_id} still offers session {session_id}, which has ended"
            )
        return None
    shown = live_card(user, practice.id)
    assert shown is not None, (
        f"session {practice.id} is open at {practice.stage}/{practice.step}, no button shows it"
    )
    assert (shown.stage, shown.step) == (practice.stage, practice.step), (
        f"the chat shows {shown.stage}/{shown.step}, the database holds {practice.stage}/{practice.step}"
    )
    async with db.session() as s:
        owner = await s.get(User, practice.user_id)
    assert owner is not None
    assert _card_text_fits(shown, owner), (
        f"the card's words do not belong to {shown.stage}/{shown.step}: {shown.text!r}"
    )
    return shown
