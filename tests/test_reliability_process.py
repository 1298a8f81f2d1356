"""The real `python -m bot` as a separate process against the emulator over HTTP: secrets in
a DEBUG run's whole output, SIGKILL mid-session (with a hold timer running, and between a
step's commit and its message), SIGTERM.

Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.buttons import TimeButton
from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from bot.i18n import Translator
from bot.views import exercises as exercises_view
from db.engine import Database
from db.models import ExerciseResult, InboxUpdate, OutboxEffect, PracticeSession, User
from tests.botproc import TOKEN, bot_process, emulator, until
from tgemu import FakeTelegram, TelegramUser

SECRET_PART = TOKEN.split(":", 1)[1]
WAIT = 30.0  # start-up (imports, migrations) on a slow machine
EN = Translator("en")
# Everything the bot sends or edits in a session (the live card is an animation).
SENDING = (
    "sendMessage",
    "sendAnimation",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
)


async def assert_invariants(db: Database) -> None:
    """A result at most once per (session, exercise, side); at most one open session a person."""
    async with db.session() as s:
        twice = (
            await s.execute(
                select(ExerciseResult.session_id, ExerciseResult.exercise_key, ExerciseResult.side)
                .group_by(ExerciseResult.session_id, ExerciseResult.exercise_key, ExerciseResult.side)
                .having(func.count() > 1)
            )
        ).all()
        open_twice = (
            await s.execute(
                select(PracticeSession.user_id)
                .where(PracticeSession.status == "open")
                .group_by(PracticeSession.user_id)
                .having(func.count() > 1)
            )
        ).all()
    assert (twice, open_twice) == ([], []), (twice, open_twice)


def last_text(user: TelegramUser) -> str:
    messages = user.bot_messages()
    return (messages[-1].text or "") if messages else ""


async def shows(fake: FakeTelegram, user: TelegramUser, needle: str, timeout: float = 15.0) -> None:
    await fake.wait_for(lambda: needle in last_text(user), timeout, f"{needle!r} in the last message")


async def tap(fake: FakeTelegram, user: TelegramUser, label: str, then: str, timeout: float = 15.0) -> None:
    user.press(label)
    await shows(fake, user, then, timeout)


def card(step: int) -> str:
    """What the live card says when it shows step `step`."""
    at = STEPS[step]
    return exercises_view.header(EN, at.exercise) if at.first_side else "↔ Other side"


async def onboard_and_start(fake: FakeTelegram, user: TelegramUser) -> None:
    """/start to the first exercise, over HTTP, waiting for each answer."""
    user.send_command("/start")
    await shows(fake, user, "Hi Alex", WAIT)
    await tap(fake, user, "Let's go", "not a doctor")
    await tap(fake, user, "I have seen or will see a clinician", f"Question 1 of {len(QUESTIONS)}:")
    for number in range(2, len(QUESTIONS) + 1):
        await tap(fake, user, "No", f"Question {number} of {len(QUESTIONS)}:")
    await tap(fake, user, "No", "Which time zone")
    user.send_text("Europe/Berlin")
    await shows(fake, user, "What time should I remind you")
    await tap(fake, user, TimeButton(8 * 60).pack(), "resistance band")
    await tap(fake, user, "Yes, I have a band", "You're all set")
    await tap(fake, user, "▶️ Start now", "before we start")
    await tap(fake, user, "3", card(0))


async def _rows(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    db = Database(url)
    try:
        async with db.session() as s:
            results = (
                await s.execute(
                    select(
                        ExerciseResult.session_id,
                        ExerciseResult.exercise_key,
                        ExerciseResult.side,
                        ExerciseResult.outcome,
                    ).order_by(ExerciseResult.id)
                )
            ).all()
            sessions = (
                await s.execute(
                    select(
                        PracticeSession.id,
                        PracticeSession.status,
                        PracticeSession.stage,
                        PracticeSession.step,
                    )
                )
            ).all()
        await assert_invariants(db)
        return [tuple(r) for r in results], [tuple(r) for r in sessions]
    finally:
        await db.dispose()


async def _committed(url: str, state: tuple[str, str, int], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while [s[1:] for s in (await _rows(url))[1]] != [state]:
        if loop.time() > deadline:
            raise TimeoutError(f"the session never reached {state}")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- secrets, whole output


async def test_a_debug_run_of_the_real_bot_never_prints_the_token(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'secrets.sqlite3'}"
    async with emulator() as (fake, base):
        async with bot_process(base, url, tmp_path, LOG_LEVEL="DEBUG") as bot:
            alex = fake.user(1001, "Alex")
            await onboard_and_start(fake, alex)
            await tap(fake, alex, "⏱ Start 20 s timer", "change sides")  # a hold timer job ran
            await tap(fake, alex, "✅ Done", card(2))
            # Telegram fails a send: the sender retries it, and the person gets /help once.
            fake.fail_next("sendMessage", 500)
            alex.send_command("/help")
            await shows(fake, alex, "Here's what I can do")
            assert sum("Here's what I can do" in (m.text or "") for m in alex.bot_messages()) == 1
            # A garbled answer from Telegram: the sender logs the traceback and goes on.
            real_send = fake._methods["sendmessage"]

            async def garbled(params: dict[str, Any], files: Any) -> Any:
                fake._methods["sendmessage"] = real_send
                return "not a message"

            fake._methods["sendmessage"] = garbled
            alex.send_command("/help")
            await until(lambda: "Traceback" in bot.log(), 15, "the sender's traceback")
            # A failing long poll: PTB retries; we log one line.
            fake.fail_next("getUpdates", 502)
            fake.release_pollers()
            await until(lambda: "Bad Gateway" in bot.log(), 10, "the polling error")
            alex.send_command("/help")
            await fake.wait_for(
                lambda: sum("Here's what I can do" in (m.text or "") for m in alex.bot_messages()) == 2,
                15,
                "/help after the failures",
            )
            assert await bot.stop(signal.SIGTERM) == 0
        # Start-up with a token Telegram refuses: PTB's InvalidToken quotes the token.
        fake.revoke(TOKEN)
        async with bot_process(base, url, tmp_path, name="revoked", LOG_LEVEL="DEBUG") as refused:
            assert await asyncio.wait_for(refused.process.wait(), WAIT) == 4
    output = bot.log()
    assert "HTTP Request: POST" in output and "/bot<BOT_TOKEN>/sendMessage" in output  # httpx at DEBUG
    assert "Traceback" in output and "getUpdates failed" in output  # the error paths were logged
    assert "Scheduler started" in output or "Added job" in output  # apscheduler was heard
    refused_output = refused.log()
    assert "InvalidToken" in refused_output and "<BOT_TOKEN>" in refused_output
    for name, text in (("run", output), ("refused start", refused_output)):
        leaking = [line for line in text.splitlines() if SECRET_PART in line]
        assert leaking == [], f"the token leaked in the {name} output: {leaking[:3]}"


# --------------------------------------------------------------------------- crash safety


async def test_sigkill_mid_hold_and_between_commit_and_message_then_every_result_once(tmp_path: Path) -> None:
    """Killed with a hold timer running: the restarted process ends the hold (its sweep).
    Killed after a step was committed but before Telegram showed it: the restarted process
    sends the step from the outbox. Every result is recorded once, in order."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    async with emulator() as (fake, base):
        alex = fake.user(1001, "Alex")
        # Real hold times, so the timer is still running when the process dies.
        async with bot_process(base, url, tmp_path, name="first", TIMER_SCALE="1") as first:
            await onboard_and_start(fake, alex)
            await tap(fake, alex, "✅ Done", card(1))
            await tap(fake, alex, "Skip", card(2))
            await tap(fake, alex, "⏱ Start 30 s timer", "30 seconds to go")
            await _committed(url, ("open", "holding", 2))
            assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        results, sessions = await _rows(url)
        assert [r[1:] for r in results] == [
            ("knees_to_chest", "left", "done"),
            ("knees_to_chest", "right", "skipped"),
        ]
        assert [s[1:] for s in sessions] == [("open", "holding", 2)]

        # Back a minute later: the 30 s hold is over, and nobody's timer is left to end it.
        async with bot_process(base, url, tmp_path, name="second", CLOCK_OFFSET_SECONDS="60") as second:
            await shows(fake, alex, "change sides", WAIT)  # the hold sweep ended it
            assert card(3) in last_text(alex)
            await _committed(url, ("open", "exercise", 3))
            # /stretch offers to carry on; the card comes back at the same step.
            alex.send_command("/stretch")
            await shows(fake, alex, "session in progress")
            await tap(fake, alex, "▶️ Continue", card(3))
            await tap(fake, alex, "✅ Done", card(4))
            # Now Telegram stalls: the next tap is decided and committed, its card edit waits.
            fake.hold_calls(*SENDING)
            before = last_text(alex)
            alex.press("✅ Done")
            await _committed(url, ("open", "exercise", 5))
            await fake.wait_for(lambda: fake.held_calls > 0, 10, "the step's message to reach Telegram")
            assert await second.stop(signal.SIGKILL) == -signal.SIGKILL
            fake.release_calls()
        assert last_text(alex) == before  # the person never saw step 5 from that process
        results, sessions = await _rows(url)
        assert len(results) == 5 and [s[1:] for s in sessions] == [("open", "exercise", 5)]

        # The same clock as the second process (whose outbox rows are leased on its clock).
        async with bot_process(base, url, tmp_path, name="third", CLOCK_OFFSET_SECONDS="60") as third:
            # The outbox still held the step: it reaches the person now, once.
            await shows(fake, alex, card(5), WAIT)
            for index in range(6, len(STEPS) + 1):
                await tap(fake, alex, "✅ Done", card(index) if index < len(STEPS) else "after the session")
            await tap(fake, alex, "2", "Session finished")
            assert await third.stop(signal.SIGTERM) == 0
        results, sessions = await _rows(url)
    expected = [(s.exercise.key, s.side) for s in STEPS]
    assert [r[1:3] for r in results] == expected  # every step once, in order: none lost, none twice
    assert [r[3] for r in results][:4] == ["done", "skipped", "done", "done"]
    assert [s[1] for s in sessions] == ["completed"]
    for log in (second.log(), third.log()):
        assert "Traceback" not in log, log[-3000:]


# --------------------------------------------------------------------------- graceful stop


async def test_sigterm_while_long_polling_stops_at_once(tmp_path: Path) -> None:
    """PTB 22 cancels the parked getUpdates (10 s long poll) on stop instead of waiting it out."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'stop.sqlite3'}"
    async with emulator() as (fake, base):
        async with bot_process(base, url, tmp_path) as bot:
            alex = fake.user(1001, "Alex")
            alex.send_command("/help")
            await shows(fake, alex, "Here's what I can do", WAIT)
            await fake.wait_for(lambda: fake.long_polling, 15, "a parked long poll")
            await asyncio.sleep(0.5)  # well inside the 10 s poll
            assert fake.long_polling
            started = time.monotonic()
            code = await bot.stop(signal.SIGTERM, 20)
            elapsed = time.monotonic() - started
    assert code == 0
    assert elapsed < 3.0, f"stop took {elapsed:.1f}s: the long poll was waited out"
    log = bot.log()
    assert (
        log.index("Application is stopping") < log.index("Application.stop() complete") < log.index("stopped")
    )


@dataclass(frozen=True)
class Late:
    """Where an update that arrived after the stop began is."""

    at_telegram: bool  # unconfirmed: Telegram delivers it again
    stored: bool  # fetched and stored in the inbox before polling stopped
    done: bool


async def _late(url: str, fake: FakeTelegram, text: str) -> Late:
    db = Database(url)
    try:
        async with db.session() as s:
            rows = (await s.execute(select(InboxUpdate.payload, InboxUpdate.done_at))).all()
    finally:
        await db.dispose()
    ours = [done for payload, done in rows if text in payload]
    pending = [u.get("message", {}).get("text") for u in fake.pending_updates]
    return Late(text in pending, bool(ours), any(done is not None for done in ours))


async def test_sigterm_finishes_the_send_in_flight_and_takes_no_new_updates(tmp_path: Path) -> None:
    """The stop waits for the send in flight, takes no new update, and loses none."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'stop.sqlite3'}"
    delay = 1.5
    async with emulator() as (fake, base):
        async with bot_process(base, url, tmp_path, LOG_LEVEL="DEBUG") as bot:
            alex = fake.user(1001, "Alex")
            alex.send_command("/help")
            await shows(fake, alex, "Here's what I can do", WAIT)
            # Telegram turns slow: the next sendMessage takes 1.5 s, so /start's welcome is
            # in flight (its update handled and committed) when SIGTERM arrives.
            inside = asyncio.Event()
            real_send = fake._methods["sendmessage"]

            async def slow_send(params: dict[str, Any], files: Any) -> Any:
                inside.set()
                await asyncio.sleep(delay)
                return await real_send(params, files)

            fake._methods["sendmessage"] = slow_send
            alex.send_command("/start")
            await asyncio.wait_for(inside.wait(), 15)
            started = time.monotonic()
            bot.process.send_signal(signal.SIGTERM)
            await until(lambda: "Stopping Updater" in bot.log(), 10, "the stop to begin")
            alex.send_text("a late message")  # arrives after the updater stopped
            code = await asyncio.wait_for(bot.process.wait(), 20)
            elapsed = time.monotonic() - started
            fake._methods["sendmessage"] = real_send
        assert code == 0, bot.log()[-3000:]
        assert elapsed < delay + 3.0, f"stop took {elapsed:.1f}s"
        # The send in flight finished: the welcome is there, once, and booked (its outbox row gone).
        assert sum("Hi Alex" in (m.text or "") for m in alex.bot_messages()) == 1
        db = Database(url)
        try:
            async with db.session() as s:
                user = (await s.execute(select(User).where(User.telegram_id == alex.user_id))).scalar_one()
                assert user.onboarding_step == "welcome"
                assert await s.scalar(select(func.count()).select_from(OutboxEffect)) == 0
            await assert_invariants(db)
        finally:
            await db.dispose()
        late = await _late(url, fake, "a late message")
        # Not lost, not handled: Telegram still has it unconfirmed, or the inbox has it pending
        # (when the parked long poll returned it just before polling stopped).
        assert (late.at_telegram or late.stored) and not late.done, late
        # The next start handles it (and confirms it to Telegram).
        async with bot_process(base, url, tmp_path, name="again") as again:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT
            while not ((late := await _late(url, fake, "a late message")).done and not late.at_telegram):
                assert loop.time() < deadline, f"the late message was never handled: {late}"
                await asyncio.sleep(0.1)
            assert await again.stop(signal.SIGTERM) == 0
    log = bot.log()
    order = [
        "Stopping Updater",
        "Application is stopping",
        "JobQueue stopped",
        "Application.stop() complete",
        "bot: stopped",
    ]
    positions = [log.rfind(marker) for marker in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
