"""Benchmark one reminder claim (a full batch of 500 due users) against 1k..1M users.

The claim is `Dispatcher.run_once` unchanged, the transaction the dispatcher commits for
every batch: `claim_due` (due users through the indexed `next_reminder_at`, their log rows,
next occurrences, the reminder texts) plus the outbox rows, committed together. The
sender it hands the effects to is a stub, so only the claim is timed.

Databases are seeded in bulk (bench/_common.py: COPY on PostgreSQL), realistic users with
history; "now" is the instant the 500th user falls due, so every size claims a full batch
(grace set to a day, so every user takes the full path, not the "late" one). Sizes are
measured interleaved, round by round; after each claim the claimed users get their
reminder back and the claim's log and outbox rows go. SQL time is what the statements
spent between the driver's call and its answer (cursor events), commit the COMMIT (on
PostgreSQL it writes the WAL, full-page images included), Python the rest (building the
texts, the ORM, parameter and row conversion). A garbage collection is run before each
timed claim so one round's garbage does not land in another's time. On SQLite the claim's
commit appends its pages to the WAL; copying them into the database file is the runtime's
background checkpoint (bot/app.py, every second, in aiosqlite's thread), timed after the
claim on its own ("bg checkpoint ms") and not counted in the claim.

    python bench/bench_claim.py [--quick] [--repeats N] [--no-pg] [--no-million]

Target (issue 14): claim time flat, the largest size within 1.2x of the smallest,
1k..1M users on PostgreSQL and 1k..100k on SQLite. `--quick`: 1k and 10k.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sqlite3
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from sqlalchemy import bindparam, delete, event, select, update

from bench import _common as c
from bench._reminder_db import pg_database
from bot.pipeline.dispatch import Dispatcher
from config import load_settings
from db.engine import Database
from db.models import OutboxEffect, ReminderLog, User

BATCH = 500
TARGET = 1.2
T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday; reminders are planned after it


class _NoSender:
    """Takes the claimed effects and drops them: only the claim is measured."""

    def submit(self, items: list[Any]) -> None:
        pass

    def backlog(self, priority: Any = None) -> int:
        return 0


@dataclass
class Sample:
    total_ms: float
    sql_ms: float
    commit_ms: float
    statements: int
    queued: int
    checkpoint_ms: float = 0.0  # SQLite: the background checkpoint of the claim's pages


@dataclass
class Size:
    db: str
    users: int
    url: str
    seed_s: float
    now: datetime = T0
    samples: list[Sample] = field(default_factory=list)


class SqlClock:
    """Time spent inside statements (before -> after cursor execute) and their count."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine.sync_engine
        self.seconds = 0.0
        self.count = 0
        self._started: float | None = None

    def __enter__(self) -> SqlClock:
        self.commit_started: float | None = None
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)
        event.remove(self.engine, "commit", self._commit)

    def _commit(self, *_: object) -> None:
        self.commit_started = time.perf_counter()

    def _before(self, *_: object) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_: object) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


async def prepare(size: Size) -> None:
    """Seed, then find "now": the instant the 500th user falls due."""
    result = await c.seed(size.url, c.SeedPlan(users=size.users, t0=T0))
    size.seed_s = result.seconds
    db = Database(size.url)
    try:
        async with db.session() as s:
            size.now = (await s.scalar(
                select(User.next_reminder_at).where(User.next_reminder_at.is_not(None))
                .order_by(User.next_reminder_at).offset(BATCH - 1).limit(1)
            )) or T0
    finally:
        await db.dispose()


async def claim_once(size: Size, db: Database, dispatcher: Dispatcher) -> Sample:
    async with db.session() as s:
        before = (await s.execute(
            select(User.id, User.next_reminder_at, User.next_reminder_kind)
            .where(User.next_reminder_at <= size.now).order_by(User.next_reminder_at).limit(BATCH)
        )).all()
    dispatcher.now = lambda: size.now
    gc.collect()  # a collection started by an earlier round's garbage is noise here
    with SqlClock(db) as clock:
        started = time.perf_counter()
        report = await dispatcher.run_once(BATCH)
        ended = time.perf_counter()
    total = ended - started
    commit = ended - clock.commit_started if clock.commit_started else 0.0
    # SQLite: copying the claim's WAL pages into the database file is the runtime's
    # once-a-second job (bot/app.py), in aiosqlite's thread, not part of the claim: timed
    # here on its own.
    checkpoint_started = time.perf_counter()
    await db.checkpoint()
    checkpoint = time.perf_counter() - checkpoint_started
    # Put everything back as it was before the claim.
    async with db.session() as s:
        table: Any = User.__table__
        await s.execute(
            update(table).where(table.c.id == bindparam("uid"))
            .values(next_reminder_at=bindparam("at"), next_reminder_kind=bindparam("kind")),
            [{"uid": u, "at": at, "kind": kind} for u, at, kind in before],
        )
        await s.execute(delete(ReminderLog).where(ReminderLog.claimed_at == size.now,
                                                  ReminderLog.status.in_(("queued", "late"))))
        await s.execute(delete(OutboxEffect))
    if not db.is_postgres:
        # The restore's own pages are written back now, not billed to the next claim's commit
        # (SQLite checkpoints the WAL at the commit that passes 1000 pages).
        lite = sqlite3.connect(size.url.split(":///", 1)[1], timeout=30)
        try:
            lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            lite.close()
    return Sample(
        total * 1000, clock.seconds * 1000, commit * 1000, clock.count, report.queued, checkpoint * 1000
    )


def report(sizes: list[Size], repeats: int) -> bool:
    rows = []
    for size in sizes:
        totals = [x.total_ms for x in size.samples]
        sql = c.median([x.sql_ms for x in size.samples])
        commit = c.median([x.commit_ms for x in size.samples])
        python = c.median([x.total_ms - x.sql_ms - x.commit_ms for x in size.samples])
        rows.append([
            size.db, f"{size.users:,}", f"{size.seed_s:.1f}", len(size.samples),
            f"{c.median(totals):.1f}", f"{min(totals):.1f}-{max(totals):.1f}", f"{sql:.1f}",
            f"{commit:.1f}", f"{python:.1f}", c.median([x.statements for x in size.samples]),
            c.median([x.queued for x in size.samples]),
            f"{c.median([x.checkpoint_ms for x in size.samples]):.1f}" if size.db == "sqlite" else "-",
        ])
    print(c.table(
        f"Claim of one batch ({BATCH} due users) = Dispatcher.run_once, "
        f"medians of {repeats} interleaved rounds",
        ["db", "users", "seed s", "n", "claim ms", "range ms", "SQL ms", "commit ms", "Python ms",
         "statements", "queued", "bg checkpoint ms"],
        rows,
    ))
    ok = True
    for dbname in dict.fromkeys(s.db for s in sizes):
        mine = [s for s in sizes if s.db == dbname]
        if len(mine) < 2:
            continue
        meds = [c.median([x.total_ms for x in s.samples]) for s in mine]
        ratio = meds[-1] / meds[0]
        spread = max(meds) / min(meds)
        met = ratio <= TARGET
        ok &= met
        print(f"  {dbname}: {mine[-1].users:,} vs {mine[0].users:,} users = {ratio:.2f}x "
              f"(max/min over all sizes {spread:.2f}x); target <= {TARGET}x: {'MET' if met else 'MISSED'}")
    return ok


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1k and 10k users, 3 rounds")
    ap.add_argument("--repeats", type=int, help="rounds (default 7; quick 3)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--no-million", action="store_true", help="PostgreSQL up to 100k")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    repeats = args.repeats or (3 if args.quick else 7)
    plan: dict[str, list[int]] = {}
    if not args.no_sqlite:
        plan["sqlite"] = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if not args.no_pg:
        if await c.pg_available():
            pg = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
            plan["postgresql"] = [n for n in pg if not (args.no_million and n >= 1_000_000)]
        else:
            print("PostgreSQL not reachable: SQLite only")
    m = c.machine()
    print(f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}, "
          f"PostgreSQL {await c.pg_version() or '-'}; {c.load_note()}")

    async with AsyncExitStack() as stack:
        sizes: list[Size] = []
        for dbname, counts in plan.items():
            for users in counts:
                label = f"{users // 1000}k"
                if dbname == "sqlite":
                    url = await stack.enter_async_context(c.sqlite_database(f"claim-{label}"))
                else:
                    url = await stack.enter_async_context(pg_database(f"claim_{label}"))
                size = Size(dbname, users, url, 0.0)
                print(f"... seeding {dbname} {users:,} users", flush=True)
                await prepare(size)
                sizes.append(size)
        settings = load_settings(bot_token="1:x", _env_file=None, reminder_grace_minutes=24 * 60)
        engines = {}
        for size in sizes:
            db = Database(size.url)
            engines[size.url] = (db, Dispatcher(db, settings, _NoSender(), lambda: T0))  # type: ignore[arg-type]
        try:
            for size in sizes:  # warm-up: connections, statement caches, pages in memory
                await claim_once(size, *engines[size.url])
            for _ in range(repeats):
                for size in sizes:
                    size.samples.append(await claim_once(size, *engines[size.url]))
        finally:
            for db, _ in engines.values():
                await db.dispose()
        print()
        report(sizes, repeats)
        print(c.load_note())


if __name__ == "__main__":
    asyncio.run(main())
