"""The sender, the one way out to Telegram: priorities, pace, per-chat order, and what it
does with 429, 403, 5xx and network errors; and effects left in the outbox by a process
that died after its commit, delivered once by the next one.

Order is read from the emulator's call log (`fake.calls`, `fake.sends()`), never from time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from time import sleep as blocking_sleep

import pytest
from sqlalchemy import func, select
from telegram import Bot
from telegram.error import TimedOut

from bot.app import Runtime
from bot.effects import Entry, Priority, Send
from bot.pipeline import outbox
from bot.pipeline.callwindow import CallWindow, window_for
from bot.pipeline.callwindow import priority as call_priority
from bot.pipeline.outbox import Item
from bot.pipeline.sender import BROADCAST_FLUSH_SECONDS, Sender
from config import load_settings
from db.engine import Database
from db.models import OutboxEffect, ReminderLog
from tests.harness import TOKEN, Harness, running_bot
from tests.reminder_kit import make_user, make_users, reminders_for
from tgemu import EmulatorRequest, FakeTelegram

# Monday 2 March 2026, 08:00 in Berlin (UTC+1).
DUE = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


async def queue(h: Harness, *entries: Entry) -> list[Item]:
    """Effects stored in the outbox and handed to the sender, as a flow's commit does."""
    async with h.db.session() as s:
        items = await outbox.add(s, list(entries), h.now)
    h.runtime.sender.submit(items)
    return items


def message(chat_id: int, text: str, priority: Priority = Priority.REPLY) -> Entry:
    return Entry(chat_id, Send(text), priority)


def texts_sent(h: Harness, chat_id: int) -> list[str]:
    """Texts of the messages Telegram accepted for a chat, in the order it accepted them."""
    return [
        str(c.params.get("text"))
        for c in h.fake.calls_to("sendMessage")
        if c.status == 200 and c.params.get("chat_id") == chat_id
    ]


async def outbox_rows(h: Harness, chat_id: int | None = None) -> int:
    where = [OutboxEffect.chat_id == chat_id] if chat_id is not None else []
    return await h.count(OutboxEffect, *where)


# --------------------------------------------------------------------------- priorities


async def test_a_tap_is_answered_before_the_rest_of_a_broadcast(db: Database) -> None:
    """Hundreds of reminders queued; someone taps "Start now" on theirs: the tap's answer and
    its reply go out next, and the broadcast goes on after them."""
    broadcast = range(1, 301)
    async with running_bot(db, send_rate_per_second=100) as h:
        h.fake.response_delay = 0.005
        tapper = 9000
        h.now = DUE - timedelta(hours=2)
        await make_user(h, tapper, at=time(7, 0))  # reminded an hour before everyone else
        await make_users(h, broadcast)
        h.now = DUE - timedelta(hours=1)
        await h.runtime.dispatcher.run_once()
        await h.runtime.sender.drain()
        assert len(reminders_for(h, tapper)) == 1

        h.now = DUE
        report = await h.runtime.dispatcher.run_once()
        assert report.queued == len(broadcast)

        def reminders_out() -> int:
            return sum(1 for s in h.fake.sends() if s.chat_id != tapper)

        await h.fake.wait_for(lambda: reminders_out() >= 20, timeout=10, what="the broadcast to start")
        h.fake.user(tapper).press("▶️ Start now")
        assert await h.take_updates() == 1
        out_at_tap = reminders_out()
        in_flight = h.runtime.sender.broadcast_concurrency
        await h.runtime.sender.drain()

        calls = list(h.fake.calls)
        answer = next(i for i, c in enumerate(calls) if c.method == "answerCallbackQuery")
        replies = [i for i, c in enumerate(calls) if i > answer and c.params.get("chat_id") == tapper]
        # The pressed reminder's edit and the session's first question, in the chat's order.
        assert [calls[i].method for i in replies] == ["editMessageText", "sendMessage"]
        last_reply = replies[-1]
        reminders_before_reply = sum(
            1 for c in calls[:last_reply] if c.method == "sendMessage" and c.params.get("chat_id") != tapper
        )
        # At most what was already on its way when the tap arrived went ahead of the reply...
        assert reminders_before_reply <= out_at_tap + in_flight
        # ... and the rest of the broadcast, most of it, came after.
        assert len(broadcast) - reminders_before_reply > len(broadcast) // 2
        assert "before we start" in h.last_text(h.fake.user(tapper))
        assert all(len(reminders_for(h, uid)) == 1 for uid in broadcast)
        assert h.fake.count_429 == 0 and h.errors == []


async def test_within_a_chat_order_beats_priority(db: Database) -> None:
    """A reply queued behind a chat's reminder does not overtake it: each chat is FIFO."""
    async with running_bot(db) as h:
        for uid in (1, 2):
            h.user(uid)
        await queue(
            h,
            message(1, "reminder", Priority.BROADCAST),
            message(1, "reply"),
            message(2, "follow-up", Priority.FOLLOW_UP),
            message(1, "second reply"),
        )
        await h.runtime.sender.drain()
        assert texts_sent(h, 1) == ["reminder", "reply", "second reply"]
        assert texts_sent(h, 2) == ["follow-up"]


# --------------------------------------------------------------------------- pace


async def test_the_global_pace_stays_under_telegrams_limit(db: Database) -> None:
    """SEND_RATE_PER_SECOND=25 against an emulator that refuses a 31st message in any second."""
    chats = range(1, 91)
    async with running_bot(db, send_rate_per_second=25) as h:
        h.fake.enforce_global_rate(30)
        for uid in chats:
            h.user(uid)
        await queue(h, *(message(uid, f"hello {uid}", Priority.BROADCAST) for uid in chats))
        await h.runtime.sender.drain()
        assert h.fake.count_429 == 0
        assert h.fake.max_rate(1.0) <= 30
        assert all(texts_sent(h, uid) == [f"hello {uid}"] for uid in chats)
        assert await outbox_rows(h) == 0


async def test_calls_that_leave_together_still_keep_the_window(db: Database) -> None:
    """The last gate counts calls when they leave, not when the sender scheduled them:
    24 sends fired at once (what deliveries delayed by a lookup can do) stay within the
    window, in the order they came."""
    async with running_bot(db, send_rate_per_second=8) as h:
        window = window_for(8)
        h.fake.enforce_global_rate(window)
        for uid in range(1, 25):
            h.user(uid)
        await asyncio.gather(*(h.runtime.bot.send_message(uid, f"at once {uid}") for uid in range(1, 25)))
        assert h.fake.count_429 == 0
        assert h.fake.max_rate(1.0) <= window
        assert [s.chat_id for s in h.fake.sends()] == list(range(1, 25))


async def test_at_the_gate_a_reply_goes_before_queued_reminders() -> None:
    """Calls that bunched up wait at the last gate by urgency: a reply's edit arriving
    behind queued reminders takes the next free slot; reminders keep their order."""
    gate = CallWindow(per_second=2)
    left: list[str] = []

    async def call(name: str, urgency: Priority) -> None:
        async def send() -> bool:
            left.append(name)
            return True

        call_priority.set(int(urgency))
        await gate.process_request(send, (), {}, "sendMessage", {}, None)

    tasks = [asyncio.create_task(call(f"reminder {i}", Priority.BROADCAST)) for i in range(4)]
    await asyncio.sleep(0.1)  # two went at once, two wait for the next second
    assert left == ["reminder 0", "reminder 1"]
    tasks.append(asyncio.create_task(call("reply", Priority.REPLY)))
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert left == ["reminder 0", "reminder 1", "reply", "reminder 2", "reminder 3"]
    assert gate.waited == 3


async def test_a_call_waiting_at_the_gate_is_cancelled_at_shutdown() -> None:
    gate = CallWindow(per_second=1)

    async def send() -> bool:
        return True

    await gate.process_request(send, (), {}, "sendMessage", {}, None)  # takes the only slot
    waiting = asyncio.create_task(gate.process_request(send, (), {}, "sendMessage", {}, None))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await gate.shutdown()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 1)


async def test_one_chat_keeps_its_order_and_its_burst_limit(db: Database) -> None:
    """Nine messages for one chat go out in order, a few a second, while another chat's
    message is not held up behind them."""
    async with running_bot(db) as h:
        # 3 per 0.9 s: the sender keeps 3 per second, measured before its calls; the margin
        # absorbs the call latency between its clock and the emulator's.
        h.fake.enforce_chat_rate(3, 0.9)
        h.user(1)
        h.user(2)
        expected = [f"step {i}" for i in range(9)]
        await queue(h, *(message(1, text) for text in expected), message(2, "other chat"))
        await h.runtime.sender.drain()
        assert texts_sent(h, 1) == expected
        assert h.fake.count_429 == 0
        assert h.fake.max_rate(0.9, chat_id=1) <= 3
        order = [(s.chat_id, s.message_id) for s in h.fake.sends()]
        assert order.index((2, 1)) < 4  # among the first burst, not after chat 1's nine


def test_a_reply_takes_the_next_turn_of_a_full_broadcast(db: Database) -> None:
    """While a broadcast fills every turn of the pace, a reply goes at once, one turn
    early; the broadcast's next send moves back by a turn, and a second reply in the same
    turn waits. The scheduling rule alone, on a clock the test holds."""
    sender = Sender(Bot(TOKEN), db, rate=10, now=lambda: DUE)  # a turn every 0.1 s
    t = 100.0
    while sender._turn_wait(Priority.BROADCAST, t) == 0:  # the broadcast takes every turn
        sender._take_turn(t)
    turn = sender._turn_wait(Priority.BROADCAST, t)
    assert 0 < turn <= 0.1
    assert sender._turn_wait(Priority.REPLY, t) == 0.0
    assert sender._turn_wait(Priority.FOLLOW_UP, t) == 0.0
    sender._take_turn(t)  # the reply leaves
    assert sender._turn_wait(Priority.BROADCAST, t) == pytest.approx(turn + 0.1)
    assert sender._turn_wait(Priority.REPLY, t) == pytest.approx(turn)
    # However early turns are taken, no second holds more than rate + 1 sends.
    while len(sender._window) < 11:
        sender._take_turn(t)
    assert sender._window_wait(t + 0.5) == pytest.approx(0.5)
    assert sender._turn_wait(Priority.REPLY, t + 0.5) >= 0.5


def _hold_event_loop(seconds: float) -> None:
    blocking_sleep(seconds)  # what a long garbage collection or a busy CPU does


async def test_a_stalled_event_loop_does_not_make_a_burst(db: Database) -> None:
    """The sender makes up turns it took late, but never more than rate + 1 sends in a
    second: here the event loop is held for 0.3 s in the middle of a broadcast."""
    chats = range(1, 61)
    async with running_bot(db, send_rate_per_second=25) as h:
        h.fake.enforce_global_rate(30)
        for uid in chats:
            h.user(uid)
        await queue(h, *(message(uid, f"hello {uid}", Priority.BROADCAST) for uid in chats))
        await h.fake.wait_for(lambda: len(h.fake.sends()) >= 10, timeout=10)
        _hold_event_loop(0.3)
        await h.runtime.sender.drain()
        assert h.fake.count_429 == 0
        assert h.fake.max_rate(1.0) <= 26 + 1  # rate + 1, and one call bunched by the stall
        assert all(texts_sent(h, uid) == [f"hello {uid}"] for uid in chats)


async def test_a_broadcast_is_booked_in_batches_and_a_reply_at_once(db: Database) -> None:
    """Broadcast deliveries are booked together (a few statements per batch, not a
    transaction per reminder); a reply's booking does not wait for the batch."""
    chats = range(1, 41)
    async with running_bot(db) as h:
        sender = h.runtime.sender
        sender.broadcast_flush_interval = 600.0  # only a full batch, a reply or a waiter books
        flushes = 0
        flush = sender._flush

        async def counted() -> None:
            nonlocal flushes
            flushes += bool(sender._done_ids or sender._reminders)
            await flush()

        sender._flush = counted  # type: ignore[method-assign]
        for uid in chats:
            h.user(uid)
        await queue(h, *(message(uid, f"hello {uid}", Priority.BROADCAST) for uid in chats))
        await h.fake.wait_for(lambda: len(h.fake.sends()) == len(chats), timeout=10)
        assert await outbox_rows(h) == len(chats)  # sent, not booked yet
        await queue(h, message(1, "a reply"))
        await h.fake.wait_for(lambda: texts_sent(h, 1)[-1:] == ["a reply"], timeout=10)
        await sender.drain()
        assert await outbox_rows(h) == 0
        assert flushes <= 2


# --------------------------------------------------------------------------- Telegram says no


async def test_429_pauses_then_resends_nothing_lost_or_doubled(db: Database) -> None:
    async with running_bot(db) as h:
        h.user(1)
        h.user(2)
        h.fake.fail_next("sendMessage", status=429, retry_after=1, chat_id=1)
        await queue(h, *(message(1, f"a{i}") for i in range(3)), *(message(2, f"b{i}") for i in range(3)))
        await h.runtime.sender.drain()
        assert h.fake.count_429 == 1 and h.runtime.sender.stats.rate_limited == 1
        assert texts_sent(h, 1) == ["a0", "a1", "a2"]
        assert texts_sent(h, 2) == ["b0", "b1", "b2"]
        # The refused message was sent again, and chat 1's order held across the retry.
        calls = h.fake.calls_to("sendMessage")
        attempts = [(c.params["text"], c.status) for c in calls if c.params["chat_id"] == 1]
        assert attempts == [("a0", 429), ("a0", 200), ("a1", 200), ("a2", 200)]
        assert await outbox_rows(h) == 0


async def test_403_drops_the_chat_and_blocks_the_user(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_users(h, (1, 2))
        h.fake.block(1, notify=False)
        await queue(h, *(message(1, f"a{i}") for i in range(4)), *(message(2, f"b{i}") for i in range(2)))
        await h.runtime.sender.drain()
        to_blocked = [c.status for c in h.fake.calls if c.params.get("chat_id") == 1]
        assert to_blocked == [403]  # one refusal, then nothing more was tried
        assert h.runtime.sender.stats.blocked == 1
        user = await h.db_user(1)
        assert user is not None and user.blocked and user.next_reminder_at is None
        assert await outbox_rows(h, 1) == 0 and await outbox_rows(h) == 0
        assert texts_sent(h, 2) == ["b0", "b1"]
        other = await h.db_user(2)
        assert other is not None and not other.blocked


async def test_500_and_network_errors_are_retried(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(db) as h:
        for uid in (1, 2, 3):
            h.user(uid)
        h.fake.fail_next("sendMessage", status=500, chat_id=1, times=2)
        real_call = h.fake.call
        failures = {2: ConnectionResetError("connection reset by peer"), 3: TimedOut("read timed out")}

        async def flaky(token, method, params, files=None):  # type: ignore[no-untyped-def]
            chat = int(params.get("chat_id") or 0)  # wire form: a string
            failure = failures.pop(chat, None) if method.lower() == "sendmessage" else None
            if failure is not None:
                raise failure  # the request never reached Telegram
            return await real_call(token, method, params, files)

        monkeypatch.setattr(h.fake, "call", flaky)
        await queue(h, *(message(uid, f"{uid}:{i}") for uid in (1, 2, 3) for i in range(2)))
        await h.runtime.sender.drain()
        assert failures == {}
        assert h.runtime.sender.stats.retried == 4 and h.runtime.sender.stats.failed == 0
        for uid in (1, 2, 3):
            assert texts_sent(h, uid) == [f"{uid}:0", f"{uid}:1"]
        assert await outbox_rows(h) == 0 and h.errors == []


async def test_an_answer_lost_after_telegram_acted_is_sent_again(db: Database) -> None:
    """Delivery is at least once: when Telegram acted but its answer was lost (a gateway
    timeout), the sender cannot know and sends again. Once more, not more."""
    async with running_bot(db) as h:
        h.user(1)
        h.fake.fail_next("sendMessage", status=504, chat_id=1, executed=True)
        await queue(h, message(1, "hello"), message(1, "next"))
        await h.runtime.sender.drain()
        assert [m.text for m in h.fake.user(1).bot_messages()] == ["hello", "hello", "next"]
        assert await outbox_rows(h) == 0


# --------------------------------------------------------------------------- crash recovery


async def test_effects_committed_before_a_crash_are_delivered_once_after_restart(db: Database) -> None:
    """A process commits a reply and a batch of reminders, then dies before its sender ever
    ran. The next process delivers everything from the outbox on start, once; a third start
    finds nothing left to send."""
    fake = FakeTelegram()
    config = load_settings(bot_token=TOKEN, database_url=db.url, timer_scale=0.01, _env_file=None)
    crashed = Runtime(
        config, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake), jobs=False
    )
    await crashed.app.initialize()  # the bot is connected; the sender is never started
    doomed = Harness(fake, crashed, db)
    doomed.now = DUE - timedelta(minutes=1)
    due = range(1, 6)
    await make_users(doomed, due)
    newcomer = doomed.user(77, "Nia")
    newcomer.send_command("/start")
    doomed.now = DUE
    assert await doomed.take_updates() == 1
    assert (await crashed.dispatcher.run_once()).queued == len(due)
    committed = await outbox_rows(doomed)
    assert committed >= len(due) + 1
    assert fake.sends() == []  # nothing reached Telegram
    await crashed.app.shutdown()  # what is left of it; no sender to stop or hand over

    try:
        async with running_bot(db, fake=fake) as h:  # its clock is past the dead process's leases
            await h.runtime.sender.drain()
            await h.pump()  # the /start is offered again: the inbox knows it was handled
            assert h.runtime.worker.stats.duplicates == 1
            welcome = h.texts(newcomer)
            assert len(welcome) == 1 and "Let's go" in newcomer.last_bot_message().buttons
            for uid in due:
                assert len(reminders_for(h, uid)) == 1
            assert await outbox_rows(h) == 0
            async with h.db.session() as s:
                statuses = (await s.execute(select(ReminderLog.status))).scalars().all()
            assert statuses == ["sent"] * len(due)
            delivered = len(fake.sends())
            assert h.runtime.sender.stats.sent == delivered == len(due) + 1

        async with running_bot(db, fake=fake) as again:
            await again.runtime.sender.drain()
            assert len(fake.sends()) == delivered
            async with again.db.session() as s:
                assert await s.scalar(select(func.count()).select_from(OutboxEffect)) == 0
    finally:
        await fake.aclose()


async def test_a_reminder_refused_for_good_is_booked_as_blocked_or_failed(db: Database) -> None:
    from db.models import ReminderLog

    async with running_bot(db) as h:
        alex, bea = h.user(7001, "Alex"), h.user(7002, "Bea")
        for person in (alex, bea):
            await h.onboard(person)
            await h.press(person, "Wait for my reminder")
        stored = await h.db_user(alex.user_id)
        assert stored is not None and stored.next_reminder_at is not None
        h.now = stored.next_reminder_at
        h.fake.block(alex.user_id)
        h.fake.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=bea.user_id)
        await h.dispatch()
        async with h.db.session() as s:
            rows = dict((await s.execute(select(ReminderLog.user_id, ReminderLog.status))).all())
        users = {
            u.telegram_id: u.id for u in [await h.db_user(alex.user_id), await h.db_user(bea.user_id)] if u
        }
        assert rows == {users[alex.user_id]: "blocked", users[bea.user_id]: "failed"}


async def test_a_retry_delivers_only_what_its_own_update_decided(db: Database) -> None:
    """After a lost COMMIT answer the retry delivers its update's effects at once; the chat's
    other rows may be another process's, in flight right now (two "erased" messages, seen)."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with db.session() as s:
        theirs = await outbox.add(s, [message(7, "decided by update 10")], now, origin=10)
        ours = await outbox.add(s, [message(7, "by update 11"), message(7, "and this")], now, origin=11)
        await outbox.add(s, [message(8, "another chat, same update")], now, origin=11)
    async with db.session() as s:
        stray = await outbox.for_chat(s, 7, 11)
    assert [item.id for item in stray] == [item.id for item in ours]
    assert [item.effect for item in stray] == [item.effect for item in ours]
    assert theirs[0].id not in {item.id for item in stray}


async def test_bookkeeping_never_lands_between_a_replys_calls(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply of two calls (a tap's answer, then its edit): the sender books what was
    delivered after both, never in between, also when its bookkeeping loop was already
    awake waiting (the second tap onwards); the flush there was on the tap's path."""
    order: list[str] = []
    real_flush = Sender._flush

    async def flush(self: Sender) -> None:
        order.append("book")
        await real_flush(self)

    monkeypatch.setattr(Sender, "_flush", flush)
    async with running_bot(db) as h:
        h.runtime.sender.flush_interval = 0.05  # the production values (the harness: 1 ms)
        h.runtime.sender.broadcast_flush_interval = BROADCAST_FLUSH_SECONDS
        h.fake.response_delay = 0.002
        real_send = h.fake._methods["sendmessage"]

        async def send(params: dict[str, object], files: object) -> object:
            order.append(str(params.get("text")))
            return await real_send(params, files)

        h.fake._methods["sendmessage"] = send
        for tap in range(4):
            await queue(h, message(77, f"answer {tap}"), message(77, f"edit {tap}"))
            await asyncio.sleep(0.3)  # the person reads; the bookkeeping loop waits, awake
        await h.runtime.sender.drain()
    for tap in range(4):
        between = order[order.index(f"answer {tap}") + 1 : order.index(f"edit {tap}")]
        assert between == []
    assert "book" in order
    assert [x for x in order if x != "book"] == [t for n in range(4) for t in (f"answer {n}", f"edit {n}")]


def _edits_shown(h: Harness) -> int:
    return sum(
        1 for c in h.fake.calls if c.method.lower().startswith("editmessage") and c.status == 200
    )


async def test_a_buttons_answer_does_not_hold_up_the_card_it_comes_with(db: Database) -> None:
    """An answer only stops the button's spinner: the next step's card goes out while the
    answer is still on its way (not one Bot API round trip after it), and the answer
    still arrives, once."""
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "▶️ Start now")
        await h.press(alex, "3")
        edits, answers = _edits_shown(h), len(alex.callback_answers())
        h.fake.hold_calls("answerCallbackQuery")
        query_id = alex.press("✅ Done")
        await h.take_updates()
        await h.fake.wait_for(lambda: _edits_shown(h) > edits, 5, "the next step shown")
        assert h.fake.held_calls == 1  # the answer: sent, not yet performed
        assert len(alex.callback_answers()) == answers
        h.fake.release_calls()
        await h.runtime.sender.drain()
        answered = alex.callback_answers()[answers:]
        assert [a["callback_query_id"] for a in answered] == [query_id]
        assert await outbox_rows(h) == 0
        assert h.errors == []
