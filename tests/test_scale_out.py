"""Scale-out on PostgreSQL: several bot processes behind one webhook URL share one database.

Two `python -m bot webhook` processes run on their own loopback ports; the emulator plays
the load balancer and hands one user's updates to them alternately. Every piece of
conversation state lives in the database, so the user cannot tell. A burst of one user's
updates, stored by both processes at once, is still handled in order (the inbox claim and
the per-user advisory lock). Both processes also run the reminder job over the same due
users; the claim (FOR UPDATE SKIP LOCKED plus the unique reminder-log key) makes every
reminder go out exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text

from bot.buttons import ScreenAnswer, TimeButton
from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from bot.i18n import Translator
from bot.views import exercises as exercises_view
from db.engine import Database
from db.migrate import alembic_config
from db.models import ExerciseResult, OutboxEffect, PracticeSession, ReminderLog, ScreeningAnswer, User
from tests.botproc import (
    ROOT,
    SECRET,
    BotProcess,
    emulator,
    free_port,
    local_url,
    start_webhook_bot,
    wait_until_serving,
)
from tgemu import FakeTelegram, TelegramUser

# Every process registers the same public URL; the emulator's delivery targets stand in for
# the load balancer in front of them, so this address is never contacted.
PUBLIC_URL = "https://bot.example.invalid/telegram/hook"
REMINDER_USERS = 500
FIRST_REMINDER_ID = 700_001
ALEX = 1001
EN = Translator("en")


def _text(user: TelegramUser) -> str:
    messages = user.bot_messages()
    return (messages[-1].text or "") if messages else ""


def _card(step: int) -> Callable[[str], bool]:
    """The live card showing step `step` (the whole card, or the second side's cue)."""
    at = STEPS[step]
    needle = exercises_view.header(EN, at.exercise) if at.first_side else "↔ Other side"
    return lambda text: needle in text


async def _read_then_tap(db: Database, user: TelegramUser) -> None:
    """A person reads before tapping; by then the bot has booked what it showed.

    The bot commits before it talks, so a tap always finds the state it was shown. Which
    message the live card is, though, the sending process books right after Telegram
    answers (with the outbox row's removal); the emulator's user reacts in microseconds,
    so it waits for that booking (no outbox row left for the chat) instead of a human pause.
    """

    async def booked() -> bool:
        async with db.session() as s:
            left = await s.scalar(
                select(func.count()).select_from(OutboxEffect).where(OutboxEffect.chat_id == user.chat_id)
            )
        return left == 0

    await _eventually(booked, "the bot processes to book what they sent", timeout=10, interval=0.02)


async def _act(
    fake: FakeTelegram,
    db: Database,
    user: TelegramUser,
    action: Callable[[], object],
    expect: Callable[[str], bool],
    what: str,
) -> None:
    """Do one thing as the user and wait until the bot's newest message shows the next state."""
    before = _text(user)
    action()
    try:
        await fake.wait_for(lambda: _text(user) != before and expect(_text(user)), timeout=15, what=what)
    except TimeoutError as exc:
        raise AssertionError(
            f"{exc}; last bot text {_text(user)[:80]!r}; "
            f"button answers {[a.get('text') for a in user.callback_answers()]}"
        ) from None
    await _read_then_tap(db, user)


async def _onboard_and_stretch(fake: FakeTelegram, db: Database, alex: TelegramUser) -> None:
    await _act(
        fake, db, alex, lambda: alex.send_command("/start"), lambda t: "7 gentle stretches" in t, "welcome"
    )
    await _act(fake, db, alex, lambda: alex.press("Let's go"), lambda t: "not a doctor" in t, "disclaimer")
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press("I have seen or will see a clinician"),
        lambda t: t.startswith(f"Question 1 of {len(QUESTIONS)}:"),
        "first question",
    )
    # All 15 answers at once, as fast as a client can send them: the processes store them
    # concurrently and must still handle them in order (an answer out of turn is refused).
    first_question = alex.last_bot_message().message_id
    for question in QUESTIONS:
        alex.press_raw(ScreenAnswer(question.key, False).pack(), first_question)
    await fake.wait_for(lambda: "time zone" in _text(alex).lower(), 20, "the screening to finish")
    await _read_then_tap(db, alex)
    refused = [a for a in alex.callback_answers() if a.get("text")]
    assert not refused, f"answers handled out of order: {refused}"
    await _act(fake, db, alex, lambda: alex.send_text("Berlin"), lambda t: "What time" in t, "time zone")
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press(TimeButton(8 * 60).pack()),
        lambda t: "resistance band" in t,
        "time",
    )
    await _act(
        fake, db, alex, lambda: alex.press("Yes, I have a band"), lambda t: "first session" in t, "band"
    )
    await _act(fake, db, alex, lambda: alex.press("▶️ Start now"), lambda t: "before we start" in t, "session")
    await _act(fake, db, alex, lambda: alex.press("3"), _card(0), "first step")
    # The hold timer runs in whichever process got the tap; the next tap goes to the other one.
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press("⏱ Start 20 s timer"),
        lambda t: "20 seconds to go" in t,
        "hold timer",
    )
    await fake.wait_for(lambda: "change sides" in _text(alex), timeout=15, what="the timer to end")
    await _read_then_tap(db, alex)
    # Steps 2..13 are done by tapping: each tap shows the following step, the last the pain question.
    for following in range(2, len(STEPS)):
        await _act(fake, db, alex, lambda: alex.press("✅ Done"), _card(following), f"step {following} done")
    await _act(fake, db, alex, lambda: alex.press("✅ Done"), lambda t: "after the session" in t, "last step")
    await _act(fake, db, alex, lambda: alex.press("2"), lambda t: "done: 7" in t, "summary")


async def _eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0, interval: float = 0.1
) -> None:
    """Poll an async database check (bounded): replies can land just before a commit."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def _seed_due_users(db: Database, fake: FakeTelegram, now: datetime) -> list[int]:
    """Onboarded, screened, not paused, due a minute ago (well inside the grace period)."""
    ids = list(range(FIRST_REMINDER_ID, FIRST_REMINDER_ID + REMINDER_USERS))
    for telegram_id in ids:
        fake.user(telegram_id, f"U{telegram_id}")
    due = now - timedelta(minutes=1)
    rows = [
        {
            "telegram_id": tid,
            "chat_id": tid,
            "first_name": "U",
            "timezone": "UTC",
            "reminder_time": due.time().replace(second=0, microsecond=0, tzinfo=None),
            "onboarding_step": "done",
            "screen_status": "clear",
            "phase": "habit",
            "phase_started_on": due.date(),
            "next_reminder_at": due,
            "next_reminder_kind": "daily",
        }
        for tid in ids
    ]
    async with db.session() as s:
        await s.execute(insert(User), rows)
    return ids


def _claimed_per_process(bot: BotProcess) -> int:
    return sum(int(n) for n in re.findall(r"reminders: queued (\d+)", bot.log()))


async def test_two_webhook_processes_share_one_database(scratch_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    db = Database(scratch_url)
    async with emulator() as (fake, base_url):
        ports = [free_port(), free_port()]
        assert ports[0] != ports[1]
        fake.set_delivery_targets([local_url(port) for port in ports], SECRET)
        env = {"DISPATCH_INTERVAL_SECONDS": "0.2", "DISPATCH_BATCH_SIZE": "50", "SEND_RATE_PER_SECOND": "200"}
        bots = await asyncio.gather(
            *(
                start_webhook_bot(
                    base_url, scratch_url, tmp_path, port, name=f"bot{i}", webhook_url=PUBLIC_URL, **env
                )
                for i, port in enumerate(ports)
            )
        )
        try:
            # Started together on an empty database: both migrate (one after the other, under
            # the advisory lock), then register the same URL and secret.
            await asyncio.gather(
                *(wait_until_serving(bot, port) for bot, port in zip(bots, ports, strict=True))
            )
            registered = fake.calls_to("setWebhook")
            assert len(registered) == 2 and all(c.status == 200 for c in registered)
            assert {(c.params["url"], c.params["secret_token"]) for c in registered} == {(PUBLIC_URL, SECRET)}

            # 1. One user; each of their updates goes to the other process than the one before.
            alex = fake.user(ALEX, "Alex")
            await _onboard_and_stretch(fake, db, alex)
            deliveries = list(fake.webhook_deliveries)
            assert deliveries and all(d.status == 200 for d in deliveries)
            per_target = [sum(d.url == local_url(port) for d in deliveries) for port in ports]
            assert abs(per_target[0] - per_target[1]) <= 1, per_target
            assert all(a.url != b.url for a, b in itertools.pairwise(deliveries))

            async def session_closed() -> bool:
                async with db.session() as s:
                    return await s.scalar(select(PracticeSession.status)) == "completed"

            await _eventually(session_closed, "the session to be stored as completed")
            async with db.session() as s:
                user = (await s.execute(select(User).where(User.telegram_id == ALEX))).scalar_one()
                practice = (await s.execute(select(PracticeSession))).scalars().one()
                results = (
                    await s.execute(
                        select(
                            ExerciseResult.exercise_key, ExerciseResult.side, ExerciseResult.outcome
                        ).order_by(ExerciseResult.id)
                    )
                ).all()
                answers = (
                    await s.execute(
                        select(ScreeningAnswer.question_key, ScreeningAnswer.answer).order_by(
                            ScreeningAnswer.id
                        )
                    )
                ).all()
            assert user.onboarded and user.screen_status == "clear" and user.timezone == "Europe/Berlin"
            assert [tuple(a) for a in answers] == [(q.key, False) for q in QUESTIONS]  # in order, once
            assert (practice.status, practice.pain_before, practice.pain_after) == ("completed", 3, 2)
            # One row per step, in order: none lost, none twice (13 steps for 7 exercises).
            assert len(STEPS) == 13
            assert [(k, s) for k, s, _ in results] == [(st.exercise.key, st.side) for st in STEPS]
            assert {o for *_, o in results} == {"done"}

            # 2. 500 due reminders, both processes' dispatch jobs racing over them.
            sent_before = [_claimed_per_process(bot) for bot in bots]
            reminded_at = time.monotonic()
            ids = await _seed_due_users(db, fake, datetime.now(UTC))
            wanted = set(ids)

            async def all_reminded() -> bool:  # polled: a check on every emulator change is too slow
                return len({r.chat_id for r in fake.sends()} & wanted) == REMINDER_USERS

            await _eventually(all_reminded, "every due user to get a reminder", timeout=30)

            async def all_logged() -> bool:
                async with db.session() as s:
                    return (
                        await s.scalar(
                            select(func.count())
                            .select_from(ReminderLog)
                            .join(User)
                            .where(User.telegram_id >= FIRST_REMINDER_ID, ReminderLog.status == "sent")
                        )
                        == REMINDER_USERS
                    )

            await _eventually(all_logged, "500 'sent' rows in reminder_log")
            reminder_seconds = time.monotonic() - reminded_at
            await asyncio.sleep(1.0)  # five more dispatch runs in each process: nothing may follow
            assert [len(fake.sends(i)) for i in ids] == [1] * REMINDER_USERS
            async with db.session() as s:
                logged = (
                    await s.execute(
                        select(User.telegram_id, ReminderLog.status)
                        .join(ReminderLog)
                        .where(User.telegram_id >= FIRST_REMINDER_ID)
                    )
                ).all()
                still_due = await s.scalar(
                    select(func.count())
                    .select_from(User)
                    .where(User.telegram_id >= FIRST_REMINDER_ID, User.next_reminder_at <= datetime.now(UTC))
                )
            assert len(logged) == REMINDER_USERS and {tid for tid, _ in logged} == set(ids)
            assert {status for _, status in logged} == {"sent"}
            assert still_due == 0  # each one planned its next reminder
        finally:
            codes = await asyncio.gather(*(bot.stop() for bot in bots))
            await db.dispose()
    logs = [bot.log() for bot in bots]
    split = [_claimed_per_process(bot) - before for bot, before in zip(bots, sent_before, strict=True)]
    print(
        f"\nscale-out: reminders claimed per process {split}, all sent in {reminder_seconds:.1f}s; "
        f"alex's updates per process {per_target}; test took {time.monotonic() - started:.1f}s"
    )
    assert sum(split) == REMINDER_USERS, split
    if 0 in split:
        warnings.warn(f"one process claimed all reminders this time: {split}", stacklevel=1)
    assert codes == [0, 0], logs
    for log in logs:
        assert "Traceback" not in log and " ERROR " not in log, log


def test_processes_starting_together_migrate_an_empty_database_once(scratch_url: str) -> None:
    """Three start-ups at once on an empty database: the advisory lock serialises Alembic
    (without it, one of two concurrent upgrades fails on a duplicate table)."""
    env = {**os.environ, "DATABASE_URL": scratch_url, "PYTHONPATH": str(ROOT)}
    script = (
        "import asyncio; from config import load_settings; "
        "from bot.__main__ import prepare_database; "
        "asyncio.run(prepare_database(load_settings(_env_file=None)))"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [err[-2000:] for _, err in outputs]

    async def revisions() -> list[str]:
        database = Database(scratch_url)
        try:
            async with database.engine.connect() as conn:
                return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        finally:
            await database.dispose()

    assert asyncio.run(revisions()) == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
