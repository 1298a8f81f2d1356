"""The same update delivered twice produces one reply and one state change.

Telegram delivers again whatever it does not know was received (an unconfirmed
getUpdates batch after a crash, a webhook whose 200 was lost), and two replicas may both
get it. The inbox keeps every update_id: a second copy is stored as nothing new and its
handling is a no-op, whichever process it reaches and however close together. The same
goes for the bot's own repeated events: a hold ending twice, a reminder run twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from telegram import Update

from bot.app import Runtime
from bot.domain.routine import STEPS
from config import load_settings
from db.engine import Database
from db.models import ExerciseResult, InboxUpdate, PracticeSession, ReminderLog, User
from db.states import Stage
from tests.harness import TOKEN, Harness, running_bot
from tests.invariants import assert_chat_matches, assert_invariants, live_card, open_session
from tests.replicas import fetch, handle_at_once, second_process
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

WELCOME = "I'm Stretch Coach"


async def _open_at(h: Harness, user: TelegramUser, step: int) -> None:
    await h.onboard(user)
    await h.press(user, "▶️ Start now")
    await h.press(user, "3")
    for _ in range(step):
        await h.press(user, "✅ Done")


async def _rows(db: Database, model: object) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


async def _results(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(ExerciseResult.exercise_key, ExerciseResult.side, ExerciseResult.outcome).order_by(
                ExerciseResult.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _edits(h: Harness, user: TelegramUser, message_id: int) -> int:
    return h.fake.chats[user.chat_id].messages[message_id].edit_count


async def test_a_message_delivered_three_times_is_answered_once(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        alex.send_command("/start")
        update = h.fake.pending_updates[-1]
        await h.process_raw(update)
        await h.process_raw(update)  # the same update_id again (a webhook retry)
        await h.pump()  # and once more through getUpdates
        assert sum(WELCOME in t for t in h.texts(alex)) == 1
        assert len(alex.bot_messages()) == 1
        assert await _rows(db, User) == 1 and await _rows(db, InboxUpdate) == 1
        assert h.runtime.worker.stats.duplicates == 2 and h.runtime.worker.stats.handled == 1
        assert h.errors == []


async def test_a_button_press_delivered_twice_records_once_and_answers_once(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        practice = await open_session(db, alex.user_id)
        assert practice is not None
        card = live_card(alex, practice.id)
        assert card is not None
        edits = _edits(h, alex, card.message_id)
        messages = len(alex.bot_messages())
        query_id = alex.press("✅ Done")
        update = h.fake.pending_updates[-1]
        await h.process_raw(update)
        await h.process_raw(update)
        await h.pump()
        assert await _results(db) == [("knees_to_chest", "left", "done")]
        practice = await open_session(db, alex.user_id)
        assert practice is not None and (practice.stage, practice.step) == (Stage.EXERCISE, 1)
        assert [a["callback_query_id"] for a in alex.callback_answers()].count(query_id) == 1
        assert _edits(h, alex, card.message_id) == edits + 1  # the card moved on once
        assert len(alex.bot_messages()) == messages
        await assert_chat_matches(db, alex)
        assert h.errors == []


async def test_an_unconfirmed_batch_is_fetched_again_after_a_restart_and_changes_nothing(
    db: Database,
) -> None:
    """The process stored and handled a batch, then died before its next getUpdates told
    Telegram so: the next process gets the same update_ids again."""
    fake = FakeTelegram()
    try:
        async with running_bot(db, fake=fake) as h:
            alex, bob = h.user(), h.user(2002, "Bob")
            await _open_at(h, alex, 0)
            alex.press("✅ Done")
            bob.send_command("/start")
            batch = await fetch(h)  # stored; the confirming getUpdates never comes
            assert len(batch) == 2
            for update in batch:
                await h.runtime.worker.handle(update)
            await h.runtime.sender.drain()
            texts = (h.texts(alex), h.texts(bob))
        async with running_bot(db, fake=fake) as h:
            again = await fetch(h)
            assert [u.update_id for u in again] == [u.update_id for u in batch]
            for update in again:
                await h.runtime.worker.handle(update)
            await h.pump()
            assert (h.texts(alex), h.texts(bob)) == texts
            assert h.runtime.worker.stats.duplicates == 2 and h.runtime.worker.stats.handled == 0
            assert await _results(db) == [("knees_to_chest", "left", "done")]
            assert await _rows(db, User) == 2
            await assert_chat_matches(db, alex)
            assert h.errors == []
    finally:
        await fake.aclose()


async def test_a_webhook_post_repeated_is_handled_once(db: Database) -> None:
    """The webhook path in-process: store, then queue for the worker, twice for one update."""
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        alex.press("Skip")
        payload = h.fake.pending_updates[-1]
        h._offset = payload["update_id"] + 1  # delivered by the webhook, not by getUpdates
        update = Update.de_json(payload, h.runtime.bot)
        for _ in range(2):
            await h.runtime.accept_webhook(update, json.dumps(payload))
        await h.runtime.settle()
        assert await _results(db) == [("knees_to_chest", "left", "skipped")]
        assert h.runtime.worker.stats.duplicates == 1
        await assert_chat_matches(db, alex)
        assert h.errors == []


async def test_the_same_update_in_two_processes_at_once_counts_once(db: Database) -> None:
    """Two replicas each receive the same update at the same moment."""
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        async with second_process(h) as other:
            before = [(w.stats.handled, w.stats.duplicates) for w in (h.runtime.worker, other.runtime.worker)]
            alex.press("✅ Done")
            (update,) = await fetch(h, other)
            copy = Update.de_json(update.to_dict(), other.runtime.bot)
            await handle_at_once([(h, update), (other, copy)])
            assert await _results(db) == [("knees_to_chest", "left", "done")]
            after = [(w.stats.handled, w.stats.duplicates) for w in (h.runtime.worker, other.runtime.worker)]
            deltas = sorted((a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True))
            assert deltas == [(0, 1), (1, 0)]  # one process handled it, the other found it done
            assert (
                sum(1 for a in alex.callback_answers() if a["callback_query_id"] == update.callback_query.id)
                == 1
            )
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_a_hold_ending_twice_records_once(db: Database) -> None:
    """The hold timer and the sweep (or two processes' timers) both end the same hold."""
    async with running_bot(db) as h:
        alex = h.user()
        await _open_at(h, alex, 0)
        practice = await open_session(db, alex.user_id)
        assert practice is not None
        h.runtime.timers.job_queue = None  # no real timer: this test ends the hold itself
        await h.press(alex, "⏱ Start 20 s timer")
        async with second_process(h) as other:
            await asyncio.gather(
                h.runtime.timers.end(alex.chat_id, practice.id, 0),
                other.runtime.timers.end(alex.chat_id, practice.id, 0),
            )
            await h.runtime.settle()
            await other.runtime.settle()
            assert await _results(db) == [("knees_to_chest", "left", "done")]
            assert sum("Time! Release slowly" in t for t in h.texts(alex)) == 1
            practice = await open_session(db, alex.user_id)
            assert practice is not None and (practice.stage, practice.step) == (Stage.EXERCISE, 1)
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []


async def test_a_reminder_run_twice_at_once_sends_one_reminder(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None
        h.now = user.next_reminder_at + timedelta(seconds=5)
        async with second_process(h) as other:
            other.now = h.now
            await asyncio.gather(h.runtime.dispatcher.run_once(), other.runtime.dispatcher.run_once())
            await h.runtime.sender.drain()
            await other.runtime.sender.drain()
            await asyncio.gather(h.dispatch(), other.dispatch())  # and again, a tick later
        assert sum("Time to stretch" in t for t in h.texts(alex)) == 1
        async with db.session() as s:
            assert (await s.execute(select(ReminderLog.status))).scalars().all() == ["sent"]
        assert h.errors == []
        await assert_invariants(db)


async def test_a_whole_session_with_every_update_delivered_twice(db: Database) -> None:
    """Every tap of a full session arrives twice: the session and its summary are exactly as
    if each had arrived once."""
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        presses = ["▶️ Start now", "3", *(["✅ Done"] * len(STEPS)), "2"]
        for label in presses:
            alex.press(label)
            update = h.fake.pending_updates[-1]
            await h.process_raw(update)
            await h.process_raw(update)
            await h.pump()
        async with db.session() as s:
            sessions = (await s.execute(select(PracticeSession.status, PracticeSession.stage))).all()
        assert [tuple(r) for r in sessions] == [("completed", Stage.DONE)]
        assert len(await _results(db)) == len(STEPS)
        assert sum("Session finished" in t for t in h.texts(alex)) == 1
        assert h.runtime.worker.stats.duplicates >= 2 * len(presses)
        await assert_chat_matches(db, alex)
        assert h.errors == []
        await assert_invariants(db)


async def test_a_stop_leaves_a_backlog_in_the_inbox_and_the_next_start_handles_it_once(
    db: Database,
) -> None:
    """PTB's Application.stop() would run every update it had already taken from its queue
    (a 10k backlog kept a stop busy for minutes). Those are stored and pending in the inbox:
    the stop leaves them, and the next start handles each exactly once."""
    fake = FakeTelegram()
    texts = 60
    try:
        async with running_bot(db, fake=fake) as h:
            bob, alex = h.user(2002, "Bob"), h.user()
            bob.send_text("hello")
            await h.pump()
            per_text = len(bob.bot_messages())  # what the bot says to a stranger's text
            assert per_text >= 1
            for i in range(texts):
                alex.send_text(f"hello {i}")
            fetched = await h.runtime.bot.get_updates(offset=h._offset, timeout=0)  # stored
            assert len(fetched) == texts
            for update in fetched:  # into PTB's queue, as its Updater does
                await h.runtime.app.update_queue.put(update)
            await h.runtime.stop()
            first = h.runtime.worker.stats.handled - 1  # bob's
            assert h.runtime.processor.left > 0
            assert first + h.runtime.processor.left == texts
            async with db.session() as s:
                pending = await s.scalar(select(func.count()).where(InboxUpdate.done_at.is_(None)))
            assert pending == h.runtime.processor.left
        async with running_bot(db, fake=fake) as h:  # start-up queues the pending updates
            for _ in range(300):  # at most 30 s
                async with db.session() as s:
                    pending = await s.scalar(select(func.count()).where(InboxUpdate.done_at.is_(None)))
                if not pending and not h.runtime.worker.busy():
                    break
                await asyncio.sleep(0.1)
            await h.runtime.sender.drain()
            assert pending == 0
            assert h.runtime.worker.stats.handled == texts - first
            assert h.runtime.worker.stats.duplicates == 0
            assert len(alex.bot_messages()) == texts * per_text
            assert h.errors == []
    finally:
        await fake.aclose()


async def test_a_stop_lets_a_running_chore_finish(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Periodic chores are running when the process stops (a slow hold sweep, and sweeps
    starting all the while): the stop starts no new one and waits for those running. PTB's
    own stop waits only for the jobs running when it began and then cancels the rest, which
    APScheduler logs as an error with a traceback (seen once in CI)."""
    from bot import app as app_module

    monkeypatch.setattr(app_module, "HOLD_SWEEP_SECONDS", 0.05)
    monkeypatch.setattr(app_module, "SWEEP_SECONDS", 0.05)
    fake = FakeTelegram()
    config = load_settings(bot_token=TOKEN, database_url=db.url, _env_file=None)
    runtime = Runtime(config, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake))
    started = asyncio.Event()
    ended: list[str] = []

    async def slow_hold_sweep() -> None:
        started.set()
        await asyncio.sleep(0.3)
        ended.append("holds")

    async def sweep() -> None:
        await asyncio.sleep(0.1)
        ended.append("sweep")

    monkeypatch.setattr(runtime.timers, "sweep", slow_hold_sweep)
    monkeypatch.setattr(runtime, "_sweep_once", sweep)
    await runtime.start()
    try:
        await asyncio.wait_for(started.wait(), 5)
    finally:
        await runtime.stop()
        await fake.aclose()
    assert "holds" in ended
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
