"""Bot API failures while a session moves on: what the person sees always matches what the
database holds, and a live button (or /stretch) always carries on.

Each failure hits the very call that shows a step: the new card (sendMessage,
sendAnimation), the card edited in place (editMessageCaption, editMessageMedia), the
pressed message turned into history (editMessageText), the button's answer
(answerCallbackQuery). Three kinds: a 500 (Telegram did nothing), a gateway timeout after
Telegram acted (`executed=True`: the message is there, the bot never heard), and a 429.
The decision is committed before any of them, so the sender retries until Telegram takes
it; a lost answer can leave an extra copy of a card, whose buttons then change nothing.
Database faults mid-update are in test_reliability.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot import buttons as b
from bot.domain.routine import STEPS
from bot.i18n import translator
from bot.views import general as general_view
from bot.views import session as session_view
from db.engine import Database
from db.states import Stage
from tests.harness import Harness, running_bot
from tests.invariants import (
    assert_chat_matches,
    assert_invariants,
    live_card,
    open_session,
    session_buttons,
    snapshot,
)
from tgemu import ChatMessage, FakeTelegram, TelegramUser

EN = translator("en")
REFUSALS = (general_view.already_done(EN), session_view.moved_on(EN), session_view.session_ended(EN))
END = len(STEPS)


async def _open_at(h: Harness, user: TelegramUser, step: int) -> None:
    """A session open at exercise step `step` (pain before rated 3)."""
    await h.onboard(user)
    await h.press(user, "▶️ Start now")
    await h.press(user, "3")
    for _ in range(step):
        await h.press(user, "✅ Done")


async def _at_pain_before(h: Harness, user: TelegramUser) -> None:
    await h.onboard(user)
    await h.press(user, "▶️ Start now")


async def _onboarded(h: Harness, user: TelegramUser) -> None:
    await h.onboard(user)


async def _next_illustration_known(h: Harness, user: TelegramUser) -> None:
    """Alex at step 1 and the second exercise's illustration already uploaded (by Bob), so
    the card moves to it with editMessageMedia."""
    bob = h.user(2002, "Bob")
    await _open_at(h, bob, 2)
    await _open_at(h, user, 1)


@dataclass(frozen=True)
class Moment:
    id: str
    method: str  # the Bot API call that fails
    setup: Callable[[Harness, TelegramUser], Awaitable[None]]
    press: str  # what the person taps while the call fails
    then: tuple[Stage, int] | None  # where the session is after that tap (None: finished)
    carry_on: str  # the next tap, on the newest message that offers it
    after: tuple[Stage, int] | None


MOMENTS = [
    Moment(
        "start-now",
        "sendMessage",
        _onboarded,
        "▶️ Start now",
        (Stage.PAIN_BEFORE, 0),
        "3",
        (Stage.EXERCISE, 0),
    ),
    Moment(
        "first-card",
        "sendAnimation",
        _at_pain_before,
        "3",
        (Stage.EXERCISE, 0),
        "✅ Done",
        (Stage.EXERCISE, 1),
    ),
    Moment(
        "pain-noted",
        "editMessageText",
        _at_pain_before,
        "3",
        (Stage.EXERCISE, 0),
        "✅ Done",
        (Stage.EXERCISE, 1),
    ),
    Moment(
        "other-side",
        "editMessageCaption",
        lambda h, u: _open_at(h, u, 0),
        "✅ Done",
        (Stage.EXERCISE, 1),
        "✅ Done",
        (Stage.EXERCISE, 2),
    ),
    Moment(
        "next-exercise",
        "editMessageMedia",
        _next_illustration_known,
        "✅ Done",
        (Stage.EXERCISE, 2),
        "✅ Done",
        (Stage.EXERCISE, 3),
    ),
    Moment(
        "pain-after-question",
        "sendMessage",
        lambda h, u: _open_at(h, u, END - 1),
        "✅ Done",
        (Stage.PAIN_AFTER, END),
        "2",
        None,
    ),
    Moment(
        "button-answer",
        "answerCallbackQuery",
        lambda h, u: _open_at(h, u, 0),
        "Skip",
        (Stage.EXERCISE, 1),
        "✅ Done",
        (Stage.EXERCISE, 2),
    ),
]

FAULTS = {
    "500": {"status": 500},
    "timeout-after-telegram-acted": {"status": 504, "executed": True},
    "429": {"status": 429, "retry_after": 1},
}


async def _where(h: Harness, user: TelegramUser) -> tuple[Stage, int] | None:
    practice = await open_session(h.db, user.user_id)
    return None if practice is None else (practice.stage, practice.step)


def _session_button(message: ChatMessage) -> str | None:
    return next(
        (
            d
            for d in message.callback_data
            if isinstance(b.parse(d), b.PainButton | b.StepButton | b.HurtButton)
        ),
        None,
    )


async def _stale_buttons_change_nothing(h: Harness, user: TelegramUser) -> int:
    """Every older message still offering session buttons (an extra copy left by a lost
    answer): its first session button is refused and no state moves. Returns how many."""
    practice = await open_session(h.db, user.user_id)
    card = live_card(user, practice.id) if practice is not None else None
    stale = [
        m
        for m in user.bot_messages()
        if _session_button(m) is not None and (card is None or m.message_id != card.message_id)
    ]
    for message in stale[:3]:
        data = _session_button(message)
        assert data is not None
        before = await snapshot(h.db)
        answers = len(user.callback_answers())
        user.press_raw(data, message.message_id)
        await h.pump()
        assert await snapshot(h.db) == before, f"an old copy's button changed the database: {message.text!r}"
        toast = user.callback_answers()[answers:]
        assert len(toast) == 1 and toast[0].get("text") in REFUSALS, toast
    return len(stale)


# Telegram's answers to a retry of a call it had already carried out.
ALREADY_DONE_ANSWERS = ("message is not modified", "query is too old")


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
@pytest.mark.parametrize("moment", MOMENTS, ids=[m.id for m in MOMENTS])
async def test_a_failed_call_while_a_step_moves_on(db: Database, moment: Moment, fault: str) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await moment.setup(h, alex)
        calls_before = len(h.fake.calls_to(moment.method))
        h.fake.fail_next(moment.method, **FAULTS[fault])  # type: ignore[arg-type]
        await h.press(alex, moment.press)

        # The fault really hit the call that shows the step, and the sender got it through.
        calls = h.fake.calls_to(moment.method)[calls_before:]
        assert calls and calls[0].status == FAULTS[fault]["status"], calls
        last = calls[-1]
        executed = bool(FAULTS[fault].get("executed"))
        assert last.status == 200 or (
            executed and any(a in (last.description or "").lower() for a in ALREADY_DONE_ANSWERS)
        ), calls
        assert h.errors == []
        assert await _where(h, alex) == moment.then
        await assert_chat_matches(db, alex, copies=executed)
        if not executed:
            # Telegram did nothing the first time: exactly one copy of what the tap decided.
            if moment.then is not None:
                practice = await open_session(db, alex.user_id)
                assert practice is not None
                offering = [m for m in alex.bot_messages() if session_buttons(m, practice.id)]
                assert len(offering) == 1, [m.text for m in offering]

        # The person carries on from what they see.
        await h.press(alex, moment.carry_on)
        assert await _where(h, alex) == moment.after
        await assert_chat_matches(db, alex, copies=executed)
        stale = await _stale_buttons_change_nothing(h, alex)
        if not executed:
            assert stale == 0
        assert h.errors == []
        await assert_invariants(db)


async def test_an_extra_copy_of_a_card_is_harmless_whichever_copy_is_tapped(db: Database) -> None:
    """A timeout after Telegram sent the first exercise: the person sees the card twice and
    taps the upper, older copy. It counts once; the lower copy then moves on with it, and the
    upper copy's buttons change nothing."""
    async with running_bot(db) as h:
        alex = h.user()
        await _at_pain_before(h, alex)
        h.fake.fail_next("sendAnimation", 504, executed=True)
        await h.press(alex, "3")
        practice = await open_session(db, alex.user_id)
        assert practice is not None
        copies = [m for m in alex.bot_messages() if session_buttons(m, practice.id)]
        assert len(copies) == 2 and copies[0].text == copies[1].text
        upper = copies[0]
        alex.press("✅ Done", upper.message_id)
        await h.pump()
        assert await _where(h, alex) == (Stage.EXERCISE, 1)
        await assert_chat_matches(db, alex)
        assert await _stale_buttons_change_nothing(h, alex) == 1
        await h.press(alex, "✅ Done")
        assert await _where(h, alex) == (Stage.EXERCISE, 2)
        await assert_chat_matches(db, alex)
        assert h.errors == []


async def test_telegram_down_for_a_while_then_everything_arrives_in_order(db: Database) -> None:
    """Several calls in a row fail (the sender backs off); the chat ends up exactly where the
    database is, and nothing arrived out of order (the pain question is history before the
    first exercise shows)."""
    async with running_bot(db) as h:
        alex = h.user()
        await _at_pain_before(h, alex)
        for method in ("answerCallbackQuery", "editMessageText", "editMessageText", "sendAnimation"):
            h.fake.fail_next(method, 502)
        await h.press(alex, "3")
        assert h.fake.status_counts[502] == 4
        assert await _where(h, alex) == (Stage.EXERCISE, 0)
        await assert_chat_matches(db, alex)
        texts = h.texts(alex)
        noted = next(i for i, t in enumerate(texts) if t.startswith("Pain before: 3/10"))
        card = next(i for i, t in enumerate(texts) if t.startswith("Exercise 1 of 7"))
        assert noted < card
        assert h.fake.count_429 == 0 and h.errors == []


async def test_a_crash_between_commit_and_delivery_only_delays_the_card(db: Database) -> None:
    """Telegram unreachable for the card, then the process stops: the decided card waits in
    the outbox and the next process delivers it; the redelivered tap changes nothing."""
    fake = FakeTelegram()
    try:
        async with running_bot(db, fake=fake) as h:
            alex = h.user()
            await _open_at(h, alex, 0)
            fake.fail_next("editMessageCaption", 502, times=1000)
            fake.fail_next("answerCallbackQuery", 502, times=1000)
            alex.press("✅ Done")
            updates = await h.runtime.bot.get_updates(offset=h._offset, timeout=0)  # stored, not confirmed
            for update in updates:
                await h.runtime.worker.handle(update)
            for _ in range(100):  # bounded: the sender meets the failure, then backs off
                if h.runtime.sender.stats.retried:
                    break
                await asyncio.sleep(0.05)
            assert h.runtime.sender.stats.retried >= 1
            assert await _where(h, alex) == (Stage.EXERCISE, 1)  # committed
        fake.clear_faults()
        async with running_bot(db, fake=fake) as h:  # the next process
            await h.pump()  # getUpdates redelivers the unconfirmed tap: a no-op
            await h.runtime.settle()
            assert h.runtime.worker.stats.duplicates == 1
            assert await _where(h, alex) == (Stage.EXERCISE, 1)
            await assert_chat_matches(db, alex)
            assert len(alex.callback_answers()) >= 1
            await h.press(alex, "✅ Done")
            assert await _where(h, alex) == (Stage.EXERCISE, 2)
            await assert_chat_matches(db, alex)
            assert h.errors == []
            await assert_invariants(db)
    finally:
        await fake.aclose()


async def test_blocked_mid_session_then_back_with_stretch(db: Database) -> None:
    """The person blocks the bot while a card is on its way (403): the chat's queue is
    dropped and reminders stop. They come back: /start, then /stretch offers to continue
    the session exactly where the database has it."""
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        h.fake.block(alex.user_id, notify=False)  # Telegram refuses what the bot sends back
        await h.press(alex, "✅ Done")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.blocked and user.next_reminder_at is None
        assert await _where(h, alex) == (Stage.EXERCISE, 1)
        alex.unblock_bot()
        await h.say(alex, "/start")
        await h.say(alex, "/stretch")
        assert "session in progress" in h.last_text(alex)
        await h.press(alex, "▶️ Continue")
        await assert_chat_matches(db, alex)
        await h.press(alex, "✅ Done")
        assert await _where(h, alex) == (Stage.EXERCISE, 2)
        await assert_chat_matches(db, alex)
        user = await h.db_user(alex.user_id)
        assert user is not None and not user.blocked and user.next_reminder_at is not None
        await assert_invariants(db)


@pytest.mark.parametrize("fault", ["500", "timeout-after-telegram-acted"])
async def test_stretch_is_a_way_on_after_any_failed_card(db: Database, fault: str) -> None:
    """Whatever a failure left on screen, /stretch offers to continue, and "Continue" puts
    the stored step at the bottom of the chat with live buttons."""
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        h.fake.fail_next("editMessageCaption", **FAULTS[fault])  # type: ignore[arg-type]
        await h.press(alex, "✅ Done")
        await h.say(alex, "/stretch")
        assert "session in progress" in h.last_text(alex)
        await h.press(alex, "▶️ Continue")
        shown = await assert_chat_matches(db, alex)
        assert shown is not None and (shown.stage, shown.step) == (Stage.EXERCISE, 1)
        assert alex.bot_messages()[-1].message_id == shown.message_id
        await h.press(alex, "✅ Done")
        assert await _where(h, alex) == (Stage.EXERCISE, 2)
        await assert_chat_matches(db, alex)
        assert h.errors == []
