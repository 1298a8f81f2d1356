"""The real `python -m bot` as a separate process against the emulator over HTTP:
secrets in a DEBUG run's whole output, SIGKILL mid-session (and mid-write), SIGTERM.

Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot import texts
from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from db.engine import Database
from db.models import ExerciseResult, PracticeSession
from tests.botproc import TOKEN, BotProcess, emulator, start_bot
from tests.test_hostile import assert_invariants
from tgemu import FakeTelegram, TelegramUser

SECRET_PART = TOKEN.split(":", 1)[1]
WAIT = 30.0  # start-up (imports, migrations) on a slow machine


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """For conditions the emulator does not signal (a subprocess's log file)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def last_text(user: TelegramUser) -> str:
    messages = user.bot_messages()
    return (messages[-1].text or "") if messages else ""


async def shows(fake: FakeTelegram, user: TelegramUser, needle: str, timeout: float = 15.0) -> None:
    await fake.wait_for(lambda: needle in last_text(user), timeout, f"{needle!r} in the last message")


async def tap(fake: FakeTelegram, user: TelegramUser, label: str, then: str, timeout: float = 15.0) -> None:
    user.press(label)
    await shows(fake, user, then, timeout)


async def onboard_and_start(fake: FakeTelegram, user: TelegramUser) -> None:
    """/start to the first exercise, over HTTP, waiting for each answer."""
    user.send_command("/start")
    await shows(fake, user, "Hi Alex", WAIT)
    await tap(fake, user, "Let's go", "not a doctor")
    await tap(fake, user, "I understand", f"1/{len(QUESTIONS)}.")
    for number in range(2, len(QUESTIONS) + 1):
        await tap(fake, user, "No", f"{number}/{len(QUESTIONS)}.")
    await tap(fake, user, "No", "Which time zone")
    user.send_text("Europe/Berlin")
    await shows(fake, user, "What time should I remind you")
    await tap(fake, user, "08:00", "You're all set")
    await tap(fake, user, "▶️ Start now", "before we start")
    await tap(fake, user, "3", "Exercise 1 of 7")


@asynccontextmanager
async def bot_process(
    base_url: str, database_url: str, workdir: Path, name: str = "bot", **env: str
) -> AsyncIterator[BotProcess]:
    process = await start_bot(base_url, database_url, workdir, name=name, **env)
    try:
        yield process
    finally:
        await process.stop(signal.SIGKILL if process.process.returncode is None else signal.SIGTERM, 5)


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


# --------------------------------------------------------------------------- 3. secrets, whole output


async def test_a_debug_run_of_the_real_bot_never_prints_the_token(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'secrets.sqlite3'}"
    async with emulator() as (fake, base):
        async with bot_process(base, url, tmp_path, LOG_LEVEL="DEBUG") as bot:
            alex = fake.user(1001, "Alex")
            await onboard_and_start(fake, alex)
            await tap(fake, alex, "⏱ Start 20 s timer", "Side: right leg")  # a hold timer job ran
            await tap(fake, alex, "✅ Done", "Exercise 2 of 7")
            # A Bot API failure inside a handler: the error handler logs the traceback.
            fake.fail_next("sendMessage", 500)
            alex.send_command("/help")
            await shows(fake, alex, texts.ERROR)
            # A failing long poll: PTB logs the exception while it retries.
            fake.fail_next("getUpdates", 502)
            fake.release_pollers()
            await until(lambda: "NetworkError: Bad Gateway" in bot.log(), 10, "the polling error")
            assert await bot.stop(signal.SIGTERM) == 0
        # Start-up with a token Telegram refuses: PTB's InvalidToken quotes the token.
        fake.revoke(TOKEN)
        async with bot_process(base, url, tmp_path, name="revoked", LOG_LEVEL="DEBUG") as refused:
            assert await asyncio.wait_for(refused.process.wait(), WAIT) == 4
    output = bot.log()
    assert "HTTP Request: POST" in output and "/bot<BOT_TOKEN>/sendMessage" in output  # httpx at DEBUG
    assert "Traceback" in output and "NetworkError" in output  # the error paths were logged
    assert "Scheduler started" in output or "Added job" in output  # apscheduler was heard
    refused_output = refused.log()
    assert "InvalidToken" in refused_output and "<BOT_TOKEN>" in refused_output
    for name, text in (("run", output), ("refused start", refused_output)):
        leaking = [line for line in text.splitlines() if SECRET_PART in line]
        assert leaking == [], f"the token leaked in the {name} output: {leaking[:3]}"


# --------------------------------------------------------------------------- 5. crash safety


async def test_sigkill_mid_session_and_mid_write_then_resume_with_every_result_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    async with emulator() as (fake, base):
        alex = fake.user(1001, "Alex")
        # Real hold times, so the timer is still running when the process dies.
        async with bot_process(base, url, tmp_path, name="first", TIMER_SCALE="1") as first:
            await onboard_and_start(fake, alex)
            await tap(fake, alex, "✅ Done", "Side: right leg")
            await tap(fake, alex, "Skip", "Exercise 2 of 7")
            await tap(fake, alex, "⏱ Start 30 s timer", "Hold")
            await _committed(url, ("open", "holding", 2))  # the user sees "Hold" before the commit
            assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        results, sessions = await _rows(url)
        assert [r[1:] for r in results] == [
            ("knees_to_chest", "left", "done"),
            ("knees_to_chest", "right", "skipped"),
        ]
        assert [s[1:] for s in sessions] == [("open", "holding", 2)]

        async with bot_process(base, url, tmp_path, name="second", TIMER_SCALE="1") as second:
            alex.send_command("/stretch")
            await shows(fake, alex, "session in progress", WAIT)
            await tap(fake, alex, "▶️ Continue", "Exercise 2 of 7")
            assert "Side: left leg" in last_text(alex)
            await tap(fake, alex, "✅ Done", "Side: right leg")
            # Now die inside a write: the next press is fetched, its step moved and its result
            # inserted, but the transaction is still open (waiting on Telegram) when SIGKILL
            # comes; and the fetch was never confirmed, so Telegram will deliver it again.
            fake.fail_next("getUpdates", 502, times=1_000_000)
            inside = asyncio.Event()
            real_edit = fake._methods["editmessagetext"]

            async def hang(params: dict[str, Any], files: Any) -> Any:
                inside.set()
                await asyncio.Event().wait()  # cancelled when the client's connection drops

            fake._methods["editmessagetext"] = hang
            alex.press("✅ Done")
            await asyncio.wait_for(inside.wait(), 15)
            assert await second.stop(signal.SIGKILL) == -signal.SIGKILL
            fake._methods["editmessagetext"] = real_edit
            fake.clear_faults()
        results, sessions = await _rows(url)
        assert len(results) == 3 and [s[1:] for s in sessions] == [("open", "exercise", 3)]

        async with bot_process(base, url, tmp_path, name="third") as third:
            # The unconfirmed press is delivered again and recorded now, exactly once.
            await shows(fake, alex, "Exercise 3 of 7", WAIT)
            alex.send_command("/stretch")
            await shows(fake, alex, "session in progress")
            await tap(fake, alex, "▶️ Continue", "Exercise 3 of 7")
            for index in range(4, len(STEPS)):
                alex.press("✅ Done")
                await fake.wait_for(lambda i=index: _at_step(alex, i + 1), 15, f"step {index + 1}")
            await tap(fake, alex, "2", "Today counts")
            assert await third.stop(signal.SIGTERM) == 0
        results, sessions = await _rows(url)
    expected = [(s.exercise.key, s.side) for s in STEPS]
    assert [r[1:3] for r in results] == expected  # every step once, in order: none lost, none twice
    assert [r[3] for r in results][:4] == ["done", "skipped", "done", "done"]
    assert [s[1] for s in sessions] == ["completed"]


async def _committed(url: str, state: tuple[str, str, int], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while [s[1:] for s in (await _rows(url))[1]] != [state]:
        if loop.time() > deadline:
            raise TimeoutError(f"the session never reached {state}")
        await asyncio.sleep(0.05)


def _at_step(user: TelegramUser, index: int) -> bool:
    text = last_text(user)
    if index >= len(STEPS):
        return "after the session" in text
    step = STEPS[index]
    return text.startswith(f"Exercise {step.exercise.number} of 7") and (
        not step.side_label or f"Side: {step.side_label}" in text
    )


# --------------------------------------------------------------------------- 6. graceful stop


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
        log.index("Application is stopping")
        < log.index("Application.stop() complete")
        < log.index("database closed")
    )


async def test_sigterm_finishes_the_update_in_flight_and_takes_no_new_ones(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stop.sqlite3'}"
    delay = 1.5
    async with emulator() as (fake, base):
        async with bot_process(base, url, tmp_path, LOG_LEVEL="DEBUG") as bot:
            alex = fake.user(1001, "Alex")
            alex.send_command("/help")
            await shows(fake, alex, "Here's what I can do", WAIT)
            # Telegram turns slow: the next sendMessage takes 1.5 s, so /start is mid-flight
            # (its transaction open) when SIGTERM arrives.
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
            await until(lambda: "Application is stopping" in bot.log(), 10, "the stop to begin")
            alex.send_text("a late message")  # arrives after the updater stopped
            code = await asyncio.wait_for(bot.process.wait(), 20)
            elapsed = time.monotonic() - started
            fake._methods["sendmessage"] = real_send
    assert code == 0
    assert elapsed < delay + 3.0, f"stop took {elapsed:.1f}s"
    # The update in flight finished: its message went out and its transaction committed.
    assert "Hi Alex" in last_text(alex)
    db = Database(url)
    try:
        async with db.session() as s:
            from bot.services import store

            user = await store.get_user(s, alex.user_id)
            assert user is not None and user.onboarding_step == "welcome"
    finally:
        await db.dispose()
    # The late one was not taken: unanswered here, still queued for the next start.
    assert "a late message" in [u.get("message", {}).get("text") for u in fake.pending_updates]
    assert last_text(alex).startswith("Hi Alex")
    log = bot.log()
    order = [
        "Application received stop signal",
        "Stopping Updater",
        "Application is stopping",
        "JobQueue stopped",
        "Scheduler has been shut down",
        "Application.stop() complete",
        "database closed",
    ]
    positions = [log.find(marker) for marker in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions.index(max(positions)) == len(order) - 1  # the database closes last
