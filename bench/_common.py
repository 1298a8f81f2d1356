"""Shared by the benchmarks: databases, realistic seeding, statistics, tables, machine facts.

Not a test helper: nothing here asserts on timings. Every loop is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "bench"  # never "test": that one belongs to the test suite


def pg_dsn(dbname: str = PG_BENCH_DB) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + dbname


def pg_url(dbname: str = PG_BENCH_DB) -> str:
    return "postgresql+asyncpg://" + pg_dsn(dbname).split("://", 1)[1]


# --------------------------------------------------------------------------- statistics / output


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [title]
    for n, row in enumerate(cells):
        lines.append("  " + "  ".join(c.rjust(w) if n and _numeric(c) else c.ljust(w)
                                      for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    return bool(re.match(r"^[-+~]?[\d.,]+", cell))


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f}/{five:.2f} on {os.cpu_count()} cores (shared machine: expect noise)"


def machine() -> dict[str, str]:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


async def pg_version() -> str | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    except Exception:
        return None


# --------------------------------------------------------------------------- databases


@asynccontextmanager
async def sqlite_database(name: str = "bench") -> AsyncIterator[str]:
    """A fresh, migrated SQLite file in a temp dir (removed afterwards); yields the URL."""
    from db.engine import Database
    from db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="stretch-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / (name + '.sqlite3')}"
        db = Database(url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        yield url


async def pg_available() -> bool:
    return await pg_version() is not None


async def create_pg_bench(name: str = PG_BENCH_DB) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_pg_bench(name: str = PG_BENCH_DB) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate(url: str) -> None:
    from db.engine import Database
    from db.migrate import upgrade

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def reset_pg_schema() -> None:
    """Empty the bench database and migrate it to head."""
    import asyncpg

    conn = await asyncpg.connect(pg_dsn(), timeout=5)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    await migrate(pg_url())


@asynccontextmanager
async def pg_database(name: str = PG_BENCH_DB) -> AsyncIterator[str]:
    """A PostgreSQL database of the script's own (benchmarks may share the server), created
    fresh, migrated, dropped afterwards; yields the URL."""
    await create_pg_bench(name)
    try:
        await migrate(pg_url(name))
        yield pg_url(name)
    finally:
        await drop_pg_bench(name)


# --------------------------------------------------------------------------- seeding

# Zones weighted like a European-led user base with a spread over the world;
# Kathmandu (+05:45) and Sydney (southern DST) keep the arithmetic honest.
ZONES: tuple[tuple[str, int], ...] = (
    ("Europe/Berlin", 22), ("Europe/London", 14), ("America/New_York", 14),
    ("America/Los_Angeles", 9), ("America/Sao_Paulo", 7), ("Asia/Kolkata", 8), ("Asia/Tokyo", 6),
    ("Australia/Sydney", 5), ("Asia/Kathmandu", 2), ("UTC", 13),
)
# People pick round times; a third pick any minute between 06:00 and 22:59.
POPULAR = ("06:30", "07:00", "07:15", "07:30", "08:00", "08:30", "09:00", "12:00", "12:30",
           "17:30", "18:00", "18:30", "19:00", "19:30", "20:00", "20:30", "21:00", "21:30")
MASKS = (0b1010101, 0b0010101, 0b0101010, 0b0011111, 0b1111111)

USER_COLUMNS = (
    "id", "telegram_id", "chat_id", "first_name", "timezone", "reminder_time", "weekday_mask", "phase",
    "phase_started_on", "checkin_on", "onboarding_step", "screen_index", "screen_status", "consent_at",
    "screened_at", "cleared_at", "awaiting", "paused", "blocked", "first_pain", "next_reminder_at",
    "next_reminder_kind", "created_at", "updated_at",
)
SESSION_COLUMNS = ("id", "user_id", "local_date", "started_at", "ended_at", "pain_before", "pain_after",
                   "status", "stage", "step", "hold_until")
LOG_COLUMNS = ("id", "user_id", "due_at", "local_date", "kind", "status", "claimed_at", "sent_at",
               "message_id", "action")

TELEGRAM_ID_BASE = 100_000_000


@dataclass
class SeedPlan:
    """What `seed` writes: `active` share of users get reminders; each active user has
    `history` past completed sessions on average, each with its sent reminder."""

    users: int
    t0: datetime  # reminders are planned strictly after this instant
    active: float = 0.9
    history: float = 2.0
    seed: int = 8


@dataclass
class SeedResult:
    users: int
    active: int
    sessions: int
    logs: int
    seconds: float


def generate(plan: SeedPlan) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Rows as ("users"|"practice_sessions"|"reminder_log", values in *_COLUMNS order).

    Datetimes are aware UTC. Next reminders come from the bot's own planner rules
    (bot.domain.schedule.next_reminder_at, weekdays by phase), cached per distinct setting.
    """
    from bot.domain.phases import Phase, PhaseState, reminder_weekdays
    from bot.domain.schedule import local_today, next_reminder_at

    rng = random.Random(plan.seed)
    cache: dict[tuple[str, wall_time, int | None], datetime] = {}
    session_id = log_id = 0
    created = plan.t0 - timedelta(days=240)
    todays = {tz: local_today(plan.t0, tz) for tz, _ in ZONES}
    zone_names, zone_weights = [z for z, _ in ZONES], list(itertools.accumulate(w for _, w in ZONES))
    for uid in range(1, plan.users + 1):
        tz = rng.choices(zone_names, cum_weights=zone_weights)[0]
        today = todays[tz]
        if rng.random() < 0.33:
            at = wall_time(rng.randint(6, 22), rng.randint(0, 59))
        else:
            hh, mm = rng.choice(POPULAR).split(":")
            at = wall_time(int(hh), int(mm))
        active = rng.random() < plan.active
        roll = rng.random()
        phase = "habit" if roll < 0.55 else "maintenance" if roll < 0.9 else "daily"
        started = today - timedelta(days=rng.randint(1, 18) if phase == "habit" else rng.randint(25, 200))
        checkin = today + timedelta(days=30) if phase == "daily" else None
        mask = rng.choice(MASKS)
        paused = blocked = False
        step, status, reminder = "done", "clear", at
        if not active:
            kind = rng.randrange(3)
            if kind == 0:
                paused = True
            elif kind == 1:
                step, status, reminder = "timezone", "clear", None
            else:
                blocked = True
        nxt = None
        if active:
            weekdays = reminder_weekdays(PhaseState(Phase(phase), started, checkin), frozenset(
                i for i in range(7) if mask & (1 << i)))
            key = (tz, at, mask if weekdays is not None else None)
            if key not in cache:
                cache[key] = next_reminder_at(plan.t0, tz, at, weekdays)
            nxt = cache[key]
        tid = TELEGRAM_ID_BASE + uid
        yield "users", (
            uid, tid, tid, f"User{uid}", tz, reminder, mask, phase, started, checkin, step, 0, status,
            created, created, created, None, paused, blocked, rng.randint(3, 8), nxt, "daily", created,
            created,
        )
        if not active:
            continue
        for back in range(_poisson(rng, plan.history)):
            day = today - timedelta(days=2 + back * 2)
            start = datetime.combine(day, at, UTC) - timedelta(hours=1)  # rough; only history
            session_id += 1
            pain = rng.randint(2, 7)
            yield "practice_sessions", (session_id, uid, day, start, start + timedelta(minutes=18), pain,
                                        max(pain - 1, 0), "completed", "done", 13, None)
            log_id += 1
            due = start - timedelta(minutes=5)
            yield "reminder_log", (log_id, uid, due, day, "daily", "sent", due, due, None, None)


def _poisson(rng: random.Random, mean: float) -> int:
    """Small bounded Poisson-ish count (0..4*mean)."""
    limit, count, p = pow(2.718281828, -mean), 0, rng.random()
    while p > limit and count < 4 * mean + 1:
        count += 1
        p *= rng.random()
    return count


async def seed(url: str, plan: SeedPlan, chunk: int = 20_000) -> SeedResult:
    """Bulk-load `plan` into a migrated database: COPY on PostgreSQL, executemany on SQLite."""
    started = time.perf_counter()
    counts = {"users": 0, "practice_sessions": 0, "reminder_log": 0}
    active = 0
    buffers: dict[str, list[tuple[Any, ...]]] = {k: [] for k in counts}
    columns = {"users": USER_COLUMNS, "practice_sessions": SESSION_COLUMNS, "reminder_log": LOG_COLUMNS}
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(pg_dsn(url.rsplit("/", 1)[1]), timeout=10)

        async def flush(name: str) -> None:
            rows = [tuple(_naive(v) for v in r) for r in buffers[name]]
            await conn.copy_records_to_table(name, records=rows, columns=list(columns[name]))
            buffers[name].clear()
    else:
        path = url.split(":///", 1)[1]
        lite = sqlite3.connect(path, isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("BEGIN")

        async def flush(name: str) -> None:
            marks = ", ".join("?" for _ in columns[name])
            lite.executemany(f"INSERT INTO {name} ({', '.join(columns[name])}) VALUES ({marks})",
                             [tuple(_sqlite_value(v) for v in r) for r in buffers[name]])
            buffers[name].clear()
            await asyncio.sleep(0)

    try:
        # Parents first: flush users before the child rows that point at them.
        for name, row in generate(plan):
            buffers[name].append(row)
            counts[name] += 1
            if name == "users":
                active += row[20] is not None
                if len(buffers["users"]) >= chunk:
                    for n in ("users", "practice_sessions", "reminder_log"):
                        await flush(n)
        for n in ("users", "practice_sessions", "reminder_log"):
            if buffers[n]:
                await flush(n)
        if url.startswith("postgresql"):
            for name in counts:
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                   f"(SELECT coalesce(max(id), 1) FROM {name}))")
            await conn.execute("VACUUM ANALYZE")
        else:
            lite.execute("COMMIT")
            lite.execute("ANALYZE")
    finally:
        if url.startswith("postgresql"):
            await conn.close()
        else:
            lite.close()
    return SeedResult(counts["users"], active, counts["practice_sessions"], counts["reminder_log"],
                      time.perf_counter() - started)


def _naive(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _sqlite_value(value: Any) -> Any:
    """Exactly the text SQLAlchemy's SQLite types store (string comparison must agree)."""
    if isinstance(value, datetime):
        v = _naive(value)
        return f"{v:%Y-%m-%d %H:%M:%S}.{v.microsecond:06d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, wall_time):
        return f"{value:%H:%M:%S}.{value.microsecond:06d}"
    if isinstance(value, bool):
        return int(value)
    return value


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc/<pid>/status."""
    values = {"VmRSS": 0, "VmHWM": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in values:
                values[key] = int(line.split()[1])
    return values["VmRSS"], values["VmHWM"]
