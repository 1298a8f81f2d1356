"""The bot as it runs in production, for the pipeline benchmarks (bench_broadcast, bench_slow_api).

`bot.app.Runtime` with long polling against the in-process emulator (EmulatorRequest), the
shipped settings (sender rate and pacing, update concurrency, the JobQueue `dispatch` job),
users seeded straight into the database, and simulated people who tap through a session the
way tests/test_journey.py does. Every wait is bounded. Nothing here asserts on timings.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this worktree's `bot`, not an installed one

from bench import _common as c  # noqa: E402
from bench._common import pg_dsn  # noqa: E402

TOKEN = "123456789:BENCHtokenBENCHtokenBENCHtokenBENCH1"
ACTION_TIMEOUT = 60.0  # the longest one person waits for one answer before the run gives up on them


class Ids:
    """Fresh Telegram ids, a block at a time (each round meets new people)."""

    def __init__(self, start: int) -> None:
        self.next = start

    def take(self, n: int) -> list[int]:
        out = list(range(self.next, self.next + n))
        self.next += n
        return out


# --------------------------------------------------------------------------- databases


def pg_database(name: str) -> AbstractAsyncContextManager[str]:
    """A fresh, migrated PostgreSQL database `name` (dropped afterwards); yields the URL."""
    return c.pg_database(name)


async def pg_reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncpg.connect(pg_dsn("postgres"), timeout=3)
        await conn.close()
        return True
    except Exception:
        return False


# --------------------------------------------------------------------------- the bot


@dataclass
class Live:
    """One running bot process (in-process) and its Telegram."""

    fake: Any  # tgemu.FakeTelegram
    runtime: Any  # bot.app.Runtime
    db: Any  # db.engine.Database

    def kick_dispatch(self) -> None:
        """Bring the real `dispatch` JobQueue job's next run forward to now (instead of waiting
        up to its 30 s interval): the job itself, its drain and the sender run unchanged."""
        jq = self.runtime.app.job_queue
        job = jq.get_jobs_by_name("dispatch")[0]
        job.job.modify(next_run_time=datetime.now(UTC))


@asynccontextmanager
async def live_bot(
    url: str, *, delay: float = 0.0, global_rate: int | None = 30, **settings: Any
) -> AsyncIterator[Live]:
    """The production runtime polling the emulator; `delay` seconds per Bot API answer."""
    from bot.app import Runtime
    from config import load_settings
    from db.engine import Database
    from tgemu import EmulatorRequest, FakeTelegram

    logging.getLogger().setLevel(logging.WARNING)
    fake = FakeTelegram()
    fake.response_delay = delay
    if global_rate:
        fake.enforce_global_rate(global_rate)
    config = load_settings(bot_token=TOKEN, _env_file=None, database_url=url, **settings)
    db = Database(config.database_url)
    runtime = Runtime(config, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake))
    await runtime.start()
    await runtime.start_polling()
    try:
        yield Live(fake, runtime, db)
    finally:
        await runtime.stop()
        await db.dispose()
        await fake.aclose()


async def add_users(db: Any, telegram_ids: list[int], *, due: datetime | None, today: date) -> None:
    """Onboarded users (screening clear, habit phase, a band), in one transaction; `due` is
    their next reminder instant (None: nothing planned)."""
    from sqlalchemy import insert

    from db.models import User
    from db.states import OnboardingStep, Phase, ScreenStatus

    now = datetime.now(UTC)
    rows = [
        {
            "telegram_id": tid,
            "chat_id": tid,
            "first_name": f"U{tid}",
            "timezone": "UTC",
            "reminder_time": wall_time(8, 0),
            "weekday_mask": 0b1111111,
            "phase": Phase.HABIT,
            "phase_started_on": today - timedelta(days=3),
            "onboarding_step": OnboardingStep.DONE,
            "screen_status": ScreenStatus.CLEAR,
            "consent_at": now,
            "screened_at": now,
            "cleared_at": now,
            "locale": "en",
            "has_band": True,
            "first_pain": 4,
            "next_reminder_at": due,
            "next_reminder_kind": "daily",
            "screen_answers": {},
            "screen_triggers": [],
            "hold_seconds": {},
            "created_at": now,
            "updated_at": now,
        }
        for tid in telegram_ids
    ]
    for start in range(0, len(rows), 500):
        async with db.session() as s:
            await s.execute(insert(User), rows[start : start + 500])


# --------------------------------------------------------------------------- people


def session_script(done_taps: int | None = None) -> list[tuple[str, str]]:
    """(what the person does, text the answer must show): /stretch, pain before, every step's
    "Done" (or the first `done_taps`), pain after. As in tests/test_journey.py::_session."""
    from bot.domain.routine import STEPS
    from bot.i18n import Translator
    from bot.views import exercises as exercises_view

    en = Translator("en")

    def expect(index: int) -> str:
        if index >= len(STEPS):
            return "after the session"
        step = STEPS[index]
        return exercises_view.header(en, step.exercise) if step.first_side else "↔ Other side"

    script = [("/stretch", "before we start"), ("3", expect(0))]
    steps = len(STEPS) if done_taps is None else min(done_taps, len(STEPS))
    script += [("✅ Done", expect(i + 1)) for i in range(steps)]
    if steps == len(STEPS):
        script.append(("2", "Session finished"))
    return script


@dataclass
class Person:
    user: Any  # tgemu.TelegramUser
    latencies: list[float] = field(default_factory=list)  # button taps, seconds
    command_latencies: list[float] = field(default_factory=list)
    tap_times: list[float] = field(default_factory=list)  # perf_counter when each tap was answered
    failed: str | None = None


def _shows(fake: Any, chat_id: int, needle: str, mark: int) -> Callable[[], bool]:
    chat = fake.chats[chat_id]

    def check() -> bool:
        for m in reversed(chat.messages.values()):
            if m.from_bot and m.changed_seq > mark:
                if needle in (m.payload.get("text") or m.payload.get("caption") or ""):
                    return True
        return False

    return check


async def act(fake: Any, person: Person, what: str, expect: str) -> float:
    """One action, timed until the chat shows `expect` (the person sees the answer)."""
    user = person.user
    mark = fake.seq
    started = time.perf_counter()
    if what.startswith("/"):
        user.send_command(what.lstrip("/"))
    else:
        user.press(what)
    await fake.wait_for(_shows(fake, user.chat_id, expect, mark), ACTION_TIMEOUT, repr(expect))
    return time.perf_counter() - started


async def go_through(
    fake: Any, person: Person, script: list[tuple[str, str]], think: float = 0.0, seed: int = 0
) -> None:
    """A person doing `script`, one action after the answer to the last. With `think` > 0 they
    start at a random moment within `think` seconds and read 0.5-1.5 x `think` between actions
    (people tapping at the same instant all session long would be a benchmark artefact)."""
    rng = random.Random(seed)
    try:
        if think:
            await asyncio.sleep(rng.uniform(0, think))
        for what, expect in script:
            latency = await act(fake, person, what, expect)
            if what.startswith("/"):
                person.command_latencies.append(latency)
            else:
                person.latencies.append(latency)
                person.tap_times.append(time.perf_counter())
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    except (TimeoutError, LookupError) as exc:
        person.failed = f"{type(exc).__name__}: {exc}"


async def crowd(fake: Any, people: list[Person], script: list[tuple[str, str]], think: float = 0.0) -> float:
    """Everyone goes through `script` at once; wall seconds until the last one is done."""
    started = time.perf_counter()
    await asyncio.gather(*(go_through(fake, p, script, think, seed=p.user.user_id) for p in people))
    return time.perf_counter() - started
