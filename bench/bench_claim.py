"""Benchmark due-user selection: one claim of a batch of 500 by the real `claim_due`.

Seeds 1k / 10k / 100k users (and 1M on PostgreSQL) with reminder times spread over the
day across ten time zones, `next_reminder_at` planned by the bot's own rules. "Now" is the
instant when the 500th user falls due, so every size claims a full batch of 500. Each repeat
runs `bot.services.dispatch.claim_due` unchanged (it commits), then puts the claimed users
and their reminder-log rows back, so every repeat sees the same data.

Also timed on its own: exactly the claim SELECT (captured from the real call, run with
full fetch and rolled back), and its plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE).

    python bench/bench_claim.py [--quick] [--no-pg] [--no-million] [--repeats N]

Target: claim time flat (within 2x) from 1k to 100k users. The grace window is set to a
day so all 500 claimed users take the full path (at 1k users the 500th is due ~12 h after
the first); with the default 2 h the small sizes would mostly take the cheaper "late" path.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from sqlalchemy import delete, event, func, select, update

from bench import _common as c
from bot.deps import Deps
from bot.services.dispatch import claim_due
from config import load_settings
from db.engine import Database
from db.models import PhaseChange, ReminderLog, User

TOKEN = "123456789:BENCHtokenBENCHtokenBENCHtokenBENCH"
BATCH = 500
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; reminders are planned after this
INDEX = "ix_users_next_reminder_at"
TARGET_RATIO = 2.0


@dataclass
class SizeResult:
    db: str
    users: int
    active: int
    due: int
    seed_s: float
    claim_ms: list[float]
    select_ms: list[float]
    claimed: int
    index_used: bool
    plan: list[str] = field(default_factory=list)


class Capture:
    """Records the claim SELECT exactly as the driver received it (SQL text and parameters)."""

    def __init__(self, db: Database) -> None:
        self.sql: str | None = None
        self.params: Any = None
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
                _many: bool) -> None:
        if self.sql is None and "FROM users" in statement and "ORDER BY users.next_reminder_at" in statement:
            self.sql, self.params = statement, parameters


async def snapshot(db: Database, now: datetime) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = (await s.execute(select(User.id, User.next_reminder_at, User.next_reminder_kind, User.phase,
                                       User.phase_started_on, User.checkin_on)
                                .where(User.next_reminder_at <= now))).all()
    return [dict(r._mapping) for r in rows]


async def restore(db: Database, saved: list[dict[str, Any]], now: datetime) -> None:
    """Undo one claim: due users as before, the claim's log and phase rows gone."""
    async with db.session() as s:
        await s.execute(update(User), saved)
        await s.execute(delete(ReminderLog).where(ReminderLog.claimed_at == now))
        await s.execute(delete(PhaseChange).where(PhaseChange.at == now))


async def time_select(db: Database, sql: str, params: Any, n: int) -> list[float]:
    samples = []
    async with db.engine.connect() as conn:
        for _ in range(n):
            t = time.perf_counter()
            rows = (await conn.exec_driver_sql(sql, params)).all()
            samples.append((time.perf_counter() - t) * 1000)
            assert len(rows) == BATCH
            await conn.rollback()
    return samples


async def explain(db: Database, sql: str, params: Any) -> list[str]:
    async with db.engine.connect() as conn:
        if db.is_postgres:
            rows = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)).all()
            lines = [str(r[0]) for r in rows]
        else:
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)).all()
            lines = [str(r[-1]) for r in rows]
        await conn.rollback()
    return lines


async def run_size(url: str, kind: str, users: int, repeats: int) -> SizeResult:
    seeded = await c.seed(url, c.SeedPlan(users, T0))
    db = Database(url)
    try:
        settings = load_settings(bot_token=TOKEN, database_url=url, dispatch_batch_size=BATCH,
                                 reminder_grace_minutes=24 * 60, _env_file=None)
        deps = Deps(settings=settings, db=db)
        async with db.session() as s:
            nth = await s.scalar(select(User.next_reminder_at).where(User.next_reminder_at.is_not(None))
                                 .order_by(User.next_reminder_at).offset(BATCH - 1).limit(1))
            assert nth is not None
            now = nth + timedelta(seconds=1)
            due = int(await s.scalar(select(func.count()).where(User.next_reminder_at <= now)) or 0)
        saved = await snapshot(db, now)
        capture = Capture(db)
        claims, _ = await claim_due(deps, now)  # warm-up: caches, prepared statements
        await restore(db, saved, now)
        claim_ms: list[float] = []
        claimed = len(claims)
        for _ in range(repeats):
            t = time.perf_counter()
            claims, report = await claim_due(deps, now)
            claim_ms.append((time.perf_counter() - t) * 1000)
            claimed = min(claimed, report.claimed)
            await restore(db, saved, now)
        assert capture.sql is not None
        select_ms = await time_select(db, capture.sql, capture.params, max(5, repeats * 3))
        plan = await explain(db, capture.sql, capture.params)
        return SizeResult(kind, users, seeded.active, due, seeded.seconds, claim_ms, select_ms, claimed,
                          any(INDEX in line for line in plan), plan)
    finally:
        await db.dispose()


async def main_async(args: argparse.Namespace) -> None:
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    repeats = args.repeats or (2 if args.quick else 5)
    results: list[SizeResult] = []
    print(f"bench_claim: one claim_due of {BATCH} due users, median of {repeats} (+1 warm-up); "
          f"{c.load_note()}", flush=True)
    for users in sizes:
        async with c.sqlite_database(f"claim{users}") as url:
            results.append(await run_size(url, "sqlite", users, repeats))
            _progress(results[-1])
    if not args.no_pg and await c.pg_available():
        pg_sizes = sizes + ([] if args.quick or args.no_million else [1_000_000])
        async with c.pg_database() as url:
            for users in pg_sizes:
                await c.reset_pg_schema()
                results.append(await run_size(url, "postgresql", users, repeats))
                _progress(results[-1])
    elif not args.no_pg:
        print("  (PostgreSQL not reachable: skipped)")
    report(results)


def _progress(r: SizeResult) -> None:
    print(f"  .. {r.db} {r.users:,} users seeded in {r.seed_s:.1f} s, claim median "
          f"{c.median(r.claim_ms):.0f} ms", flush=True)


def report(results: list[SizeResult]) -> None:
    rows = []
    base: dict[str, float] = {}
    for r in results:
        med = c.median(r.claim_ms)
        base.setdefault(r.db, med)
        rows.append((r.db, f"{r.users:,}", f"{r.due:,}", r.claimed, f"{med:.0f}",
                     f"{min(r.claim_ms):.0f}-{max(r.claim_ms):.0f}", f"{med / max(r.claimed, 1):.2f}",
                     f"{c.median(r.select_ms):.2f}", "yes" if r.index_used else "NO",
                     f"{med / base[r.db]:.2f}x"))
    print()
    print(c.table("claim of one batch (claim_due, real code; SELECT = the claim query alone)",
                  ("db", "users", "due now", "claimed", "claim ms", "range", "ms/user", "SELECT ms",
                   "index", "vs 1k"), rows))
    for db_name in dict.fromkeys(r.db for r in results):
        mine = [r for r in results if r.db == db_name]
        small = next((r for r in mine if r.users == 1_000), None)
        big = max((r for r in mine if r.users <= 100_000), key=lambda r: r.users, default=None)
        if small and big and big is not small:
            ratio = c.median(big.claim_ms) / c.median(small.claim_ms)
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            print(f"  {db_name}: {big.users // 1000}k / 1k = {ratio:.2f}x  [target <= {TARGET_RATIO:.0f}x "
                  f"from 1k to 100k: {verdict}]")
        largest = mine[-1]
        print(f"\n  plan of the claim SELECT on {db_name} at {largest.users:,} users:")
        for line in largest.plan:
            print(f"    {line}")
    print(f"\n  {c.load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, 2 repeats, no 1M")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-million", action="store_true", help="skip the 1M-user PostgreSQL run")
    parser.add_argument("--repeats", type=int, default=0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
