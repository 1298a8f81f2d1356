"""Benchmark resident memory of the real bot process with 1,000 vs 100,000 users.

For each size: a fresh database seeded directly (users with history, reminders planned an
hour or more ahead, so none is due while we watch), the emulator served over HTTP on
127.0.0.1, then `python -m bot` started as in tests/botproc.py (dispatch job every 0.5 s,
so its claim query runs on the full table). Once polling, RSS (VmRSS from
/proc/<pid>/status) is sampled for a few seconds; the table shows the median sample and
the peak (VmHWM). SQLite, and PostgreSQL when reachable.

    python bench/bench_memory.py [--quick] [--no-pg]

Target: RSS with 100,000 users within 10% of RSS with 1,000.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from bench import _common as c
from tests.botproc import emulator, start_bot, wait_until_polling

TARGET = 0.10


@dataclass
class Sample:
    db: str
    users: int
    rss_kib: list[int]
    hwm_kib: int
    start_s: float


async def measure(url: str, kind: str, users: int, watch_s: float) -> Sample:
    # Planned from an hour ahead: nobody falls due while the bot runs.
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    await c.seed(url, c.SeedPlan(users, t0))
    with tempfile.TemporaryDirectory(prefix="stretch-bench-mem-") as tmp:
        async with emulator() as (fake, base_url):
            started = time.perf_counter()
            proc = await start_bot(base_url, url, Path(tmp), name=f"bot-{kind}-{users}", LOG_LEVEL="WARNING")
            try:
                await wait_until_polling(fake, timeout=60)
                start_s = time.perf_counter() - started
                rss: list[int] = []
                hwm = 0
                deadline = time.monotonic() + watch_s
                while time.monotonic() < deadline and len(rss) < 1000:
                    await asyncio.sleep(0.5)
                    now_rss, hwm = c.rss_kib(proc.process.pid)
                    rss.append(now_rss)
                log = proc.log()
            finally:
                code = await proc.stop()
            if code != 0 or "Traceback" in log:
                raise RuntimeError(f"bot exited {code}:\n{log[-3000:]}")
    return Sample(kind, users, rss, hwm, start_s)


async def main_async(args: argparse.Namespace) -> None:
    sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    watch = 3.0 if args.quick else 8.0
    print(f"bench_memory: bot process RSS after start-up; {c.load_note()}", flush=True)
    samples: list[Sample] = []
    for users in sizes:
        async with c.sqlite_database(f"mem{users}") as url:
            samples.append(await measure(url, "sqlite", users, watch))
            _progress(samples[-1])
    if not args.no_pg:
        if await c.pg_available():
            async with c.pg_database() as url:
                for users in sizes:
                    await c.reset_pg_schema()
                    samples.append(await measure(url, "postgresql", users, watch))
                    _progress(samples[-1])
        else:
            print("  (PostgreSQL not reachable: skipped)")
    report(samples, watch)


def _progress(s: Sample) -> None:
    print(f"  .. {s.db} {s.users:,} users: RSS {c.median(s.rss_kib) / 1024:.1f} MiB", flush=True)


def report(samples: list[Sample], watch: float) -> None:
    print()
    rows = [(s.db, f"{s.users:,}", f"{s.start_s:.1f}", len(s.rss_kib), f"{c.median(s.rss_kib) / 1024:.1f}",
             f"{min(s.rss_kib) / 1024:.1f}-{max(s.rss_kib) / 1024:.1f}", f"{s.hwm_kib / 1024:.1f}")
            for s in samples]
    print(c.table(f"python -m bot, VmRSS sampled every 0.5 s for {watch:.0f} s once polling "
                  "(dispatch job every 0.5 s, nobody due)",
                  ("db", "users", "start s", "samples", "RSS MiB", "range", "peak MiB"), rows))
    for db_name in dict.fromkeys(s.db for s in samples):
        mine = [s for s in samples if s.db == db_name]
        small, big = mine[0], mine[-1]
        change = c.median(big.rss_kib) / c.median(small.rss_kib) - 1
        verdict = "met" if abs(change) <= TARGET else "MISSED"
        print(f"  {db_name}: {big.users:,} vs {small.users:,} users: {change:+.1%}  "
              f"[target within {TARGET:.0%}: {verdict}]")
    print(f"\n  {c.load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k vs 10k users, 3 s of samples")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
