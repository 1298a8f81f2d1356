"""Scale-out on PostgreSQL: several bot processes behind one webhook URL share one database.

Two `python -m bot webhook` processes run on their own loopback ports; the emulator plays
the load balancer and hands one user's updates to them alternately. Every piece of
conversation state lives in the database, so the user cannot tell. Both processes also
run the reminder job over the same due users; the claim (FOR UPDATE SKIP LOCKED plus the
unique reminder-log key) makes every reminder go out exactly once.
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
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from db.engine import Database
from db.migrate import alembic_config
from db.models import ExerciseResult, PracticeSession, ReminderLog, ScreeningAnswer, User
from tests.botproc import ROOT, BotProcess, emulator
from tests.test_webhook import SECRET, free_port, local_url, start_webhook_bot, wait_until_serving
from tgemu import FakeTelegram, TelegramUser

# Every process registers the same public URL; the emulator's delivery targets stand in for
# the load balancer in front of them, so this address is never contacted.
PUBLIC_URL = "https://bot.example.invalid/telegram/hook"
REMINDER_USERS = 500
FIRST_REMINDER_ID = 700_001
ALEX = 1001


def _text(user: TelegramUser) -> str:
    messages = user.bot_messages()
    return (messages[-1].text or "") if messages else ""


async def _bots_idle(db: Database) -> bool:
    """No other client of this database is inside a transaction."""
    async with db.engine.connect() as conn:
        busy = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
        )
    return busy == 0


async def _read_then_tap(db: Database) -> None:
    """A person reads before tapping; the bot has stored what it showed by then.

    Handlers send inside their transaction, so a message is visible a few milliseconds before
    its commit; a tap in that window (to either process) is refused as stale. The emulator's
    user reacts in microseconds, so it waits for the commit instead of a human pause.
    """
    await _eventually(lambda: _bots_idle(db), "the bot processes to commit", timeout=10, interval=0.02)


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
    await _read_then_tap(db)


async def _onboard_and_stretch(fake: FakeTelegram, db: Database, alex: TelegramUser) -> None:
    await _act(
        fake, db, alex, lambda: alex.send_command("/start"), lambda t: "7 gentle stretches" in t, "welcome"
    )
    await _act(
        fake, db, alex, lambda: alex.press("Let's go"), lambda t: "not medical advice" in t, "disclaimer"
    )
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press("I understand"),
        lambda t: t.startswith(f"1/{len(QUESTIONS)}."),
        "first question",
    )
    for i in range(len(QUESTIONS)):
        last = i == len(QUESTIONS) - 1
        prefix = f"{i + 2}/{len(QUESTIONS)}."
        await _act(
            fake,
            db,
            alex,
            lambda: alex.press("No"),
            (lambda t: "time zone" in t.lower()) if last else (lambda t, p=prefix: t.startswith(p)),
            f"screening answer {i + 1}",
        )
    await _act(fake, db, alex, lambda: alex.send_text("Berlin"), lambda t: "What time" in t, "time zone")
    await _act(fake, db, alex, lambda: alex.press("08:00"), lambda t: "first session" in t, "reminder time")
    await _act(fake, db, alex, lambda: alex.press("▶️ Start now"), lambda t: "before we start" in t, "session")
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press("3"),
        lambda t: t.startswith("Exercise 1 of 7") and "Side: left leg" in t,
        "first step",
    )
    # The hold timer runs in whichever process got the tap; the next tap goes to the other one.
    await _act(
        fake,
        db,
        alex,
        lambda: alex.press("⏱ Start 20 s timer"),
        lambda t: "Hold Knees to chest" in t,
        "hold timer",
    )
    await fake.wait_for(lambda: "Side: right leg" in _text(alex), timeout=15, what="timer to end")
    await _read_then_tap(db)
    # Steps 2..13 are done by tapping: each tap shows the following step, the last the pain question.
    for following in STEPS[2:]:
        await _act(
            fake,
            db,
            alex,
            lambda: alex.press("✅ Done"),
            lambda t, st=following: (
                t.startswith(f"Exercise {st.exercise.number} of 7")
                and (not st.side_label or f"Side: {st.side_label}" in t)
            ),
            f"step {following.index} done",
        )
    await _act(
        fake, db, alex, lambda: alex.press("✅ Done"), lambda t: "after the session" in t, "last step done"
    )
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


async def _admin_sql(postgres_url: str, *statements: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def scratch_url(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the test's own on the test server: the processes migrate it as
    they start, and other test runs sharing the server cannot touch its rows."""
    url = make_url(postgres_url)
    name = f"{url.database}_{request.node.name[5:20]}_{os.getpid()}".lower()
    asyncio.run(_admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sent_per_process(bot: BotProcess) -> int:
    return sum(int(n) for n in re.findall(r"reminders: claimed \d+, sent (\d+)", bot.log()))


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
                answers = await s.scalar(select(func.count()).select_from(ScreeningAnswer))
            assert user.onboarded and user.screen_status == "clear" and user.timezone == "Europe/Berlin"
            assert answers == len(QUESTIONS)
            assert (practice.status, practice.pain_before, practice.pain_after) == ("completed", 3, 2)
            # One row per step, in order: none lost, none twice (13 steps for 7 exercises).
            assert len(STEPS) == 13
            assert [(k, s) for k, s, _ in results] == [(st.exercise.key, st.side) for st in STEPS]
            assert {o for *_, o in results} == {"done"}

            # 2. 500 due reminders, both processes' dispatch jobs racing over them.
            sent_before = [_sent_per_process(bot) for bot in bots]
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
    split = [_sent_per_process(bot) - before for bot, before in zip(bots, sent_before, strict=True)]
    print(
        f"\nscale-out: reminders sent per process {split} in {reminder_seconds:.1f}s; "
        f"alex's updates per process {per_target}; test took {time.monotonic() - started:.1f}s"
    )
    assert sum(split) == REMINDER_USERS, split
    if 0 in split:
        warnings.warn(f"one process sent all reminders this time: {split}", stacklevel=1)
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
