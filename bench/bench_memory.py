"""Benchmark resident memory of the real bot process: idle, under a 10k-update backlog, and
with 1,000 vs 100,000 users; against the bare PTB echo bot (bench/echo_bot.py).

Every process runs as `python -m bot` does in tests/botproc.py, against the emulator served
over HTTP on 127.0.0.1; memory is VmRSS / VmHWM from /proc/<pid>/status.

1. Idle, interleaved rounds (ours, echo, ours, echo...): ours on SQLite with 1,000 seeded
   users (reminders an hour ahead, dispatch job every 0.5 s), sampled every 0.5 s once it
   polls. Target (issue 14): ours within 2x of the echo bot.
2. Backlog: 10,000 updates (/start, then text messages) from 1,500 users are waiting in the
   emulator before the process starts (quick: 2,000 from 400). RSS is sampled every 0.25 s
   from start until Telegram has every update confirmed (getUpdates offset past them), then
   for 20 s more (quick: 5 s), at most 180 s. Ours stores each update in its inbox first
   and sends at its configured 25 messages/s; the echo keeps fetched updates in memory and
   replies unthrottled. Reported: median and largest sample, VmHWM (peak), and ours/echo.
3. Sizes: idle with 1,000 vs 100,000 seeded users (quick: 10,000), SQLite and PostgreSQL.
   Target: within 10%.

    python bench/bench_memory.py [--quick] [--no-pg] [--no-sizes] [--baseline GIT_REF]
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
from bench.bench_startup import compile_project, export, ours, start_echo
from tests.botproc import BotProcess, emulator, start_bot, wait_until_polling
from tgemu import FakeTelegram

TARGET = 0.10
TARGET_VS_ECHO = 2.0
# SIGTERM -> exit, then SIGKILL. PTB's Application.stop() first handles every update already
# fetched, so after a 10k backlog the bot is still draining minutes later: killed, reported.
STOP_TIMEOUT = 20.0


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


@dataclass
class Run:
    """One process's memory: samples (KiB), its peak, replies it sent, seconds watched."""

    kind: str
    rss_kib: list[int]
    hwm_kib: int
    sent: int = 0
    watched_s: float = 0.0
    drained_s: float | None = None
    stop_s: float = 0.0


async def wait_first_poll(fake: FakeTelegram, timeout: float = 60) -> None:
    await fake.wait_for(
        lambda: bool(fake.calls_to("getUpdates")) or fake.long_polling, timeout=timeout, what="getUpdates"
    )


def push_backlog(fake: FakeTelegram, updates: int, users: int) -> None:
    """`updates` messages from `users` people: each says /start first, then writes text."""
    people = [
        fake.user(5_000_000 + i, f"User{i}", language_code=("en", "de", "es", "ru")[i % 4])
        for i in range(users)
    ]
    for n in range(updates):
        person = people[n % users]
        if n < users:
            person.send_command("start")
        else:
            person.send_text(f"message {n // users}")


async def watch(
    proc: BotProcess,
    fake: FakeTelegram,
    *,
    interval: float,
    seconds: float,
    until_drained: bool = False,
    cap: float = 180.0,
) -> Run:
    """Sample RSS every `interval`; with until_drained, for `seconds` after the backlog is confirmed."""
    started = time.monotonic()
    rss: list[int] = []
    hwm = 0
    drained: float | None = None
    end = started + (cap if until_drained else seconds)
    while time.monotonic() < end and len(rss) < 5000:
        await asyncio.sleep(interval)
        if not proc.running:
            raise RuntimeError(f"process exited {proc.process.returncode}:\n{proc.log()[-3000:]}")
        now_rss, hwm = c.rss_kib(proc.process.pid)
        rss.append(now_rss)
        if until_drained and drained is None and not fake.pending_updates:
            drained = time.monotonic() - started
            end = min(end, time.monotonic() + seconds)
    sent = len(fake.calls_to("sendMessage"))
    return Run("", rss, hwm, sent, time.monotonic() - started, drained)


async def run_ours(
    url: str, *, backlog: int = 0, users: int = 0, seconds: float, interval: float, root: Path | None = None
) -> Run:
    """`python -m bot` (from `root`, a baseline checkout, if given)."""
    with tempfile.TemporaryDirectory(prefix="stretch-bench-mem-") as tmp:
        async with emulator() as (fake, base_url):
            push_backlog(fake, backlog, users)
            if root is None:
                proc = await start_bot(base_url, url, Path(tmp), name="bot", LOG_LEVEL="WARNING")
            else:
                proc = await ours(lambda _: url, root)(base_url, Path(tmp))
            try:
                if backlog:
                    run = await watch(proc, fake, interval=interval, seconds=seconds, until_drained=True)
                else:
                    await wait_until_polling(fake, timeout=60)
                    run = await watch(proc, fake, interval=interval, seconds=seconds)
                log = proc.log()
            finally:
                stopping = time.monotonic()
                code = await proc.stop(timeout=STOP_TIMEOUT)
                stop_s = time.monotonic() - stopping
            if code not in (0, -9) or "Traceback" in log:
                raise RuntimeError(f"bot exited {code} ({stop_s:.1f} s after SIGTERM):\n{log[-3000:]}")
    run.kind = "python -m bot"
    run.stop_s = float("inf") if code == -9 else stop_s  # -9: still stopping after STOP_TIMEOUT
    return run


async def run_echo(*, backlog: int = 0, users: int = 0, seconds: float, interval: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="stretch-bench-mem-") as tmp:
        async with emulator() as (fake, base_url):
            push_backlog(fake, backlog, users)
            proc = await start_echo(base_url, Path(tmp))
            try:
                if backlog:
                    run = await watch(proc, fake, interval=interval, seconds=seconds, until_drained=True)
                else:
                    await wait_first_poll(fake)
                    run = await watch(proc, fake, interval=interval, seconds=seconds)
                log = proc.log()
            finally:
                stopping = time.monotonic()
                await proc.stop(timeout=STOP_TIMEOUT)
                stop_s = time.monotonic() - stopping
            if "Traceback" in log:
                raise RuntimeError(f"echo bot failed:\n{log[-3000:]}")
    run.kind = "echo bot"
    run.stop_s = stop_s
    return run


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


async def versus_echo(args: argparse.Namespace) -> None:
    rounds = 1 if args.quick else 3
    idle_s = 3.0 if args.quick else 6.0
    backlog, users = (2_000, 400) if args.quick else (10_000, 1_500)
    after_s = 5.0 if args.quick else 20.0
    ours_idle: list[Run] = []
    echo_idle: list[Run] = []
    base_idle: list[Run] = []
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    with tempfile.TemporaryDirectory(prefix="stretch-bench-baseline-") as base_dir:
        root = export(args.baseline, Path(base_dir)) if args.baseline else None
        async with c.sqlite_database("memidle") as url:
            await c.seed(url, c.SeedPlan(1_000, t0))
            for r in range(rounds):  # interleaved; who goes first alternates
                pair = [("ours", ours_idle), ("echo", echo_idle)] + ([("base", base_idle)] if root else [])
                for kind, into in pair if r % 2 == 0 else pair[::-1]:
                    if kind == "ours":
                        into.append(await run_ours(url, seconds=idle_s, interval=0.5))
                    elif kind == "base":
                        into.append(await run_ours(url, seconds=idle_s, interval=0.5, root=root))
                    else:
                        into.append(await run_echo(seconds=idle_s, interval=0.5))
                print(
                    f"  .. idle round {r + 1}: ours {mib(c.median(ours_idle[-1].rss_kib))} MiB, "
                    f"echo {mib(c.median(echo_idle[-1].rss_kib))} MiB"
                    + (f", {args.baseline} {mib(c.median(base_idle[-1].rss_kib))} MiB" if root else ""),
                    flush=True,
                )
    async with c.sqlite_database("membacklog") as url:
        ours_b = await run_ours(url, backlog=backlog, users=users, seconds=after_s, interval=0.25)
    print(f"  .. backlog: ours peak {mib(ours_b.hwm_kib)} MiB", flush=True)
    echo_b = await run_echo(backlog=backlog, users=users, seconds=after_s, interval=0.25)
    print(f"  .. backlog: echo peak {mib(echo_b.hwm_kib)} MiB", flush=True)

    ours_rss = c.median([c.median(r.rss_kib) for r in ours_idle])
    echo_rss = c.median([c.median(r.rss_kib) for r in echo_idle])
    ours_hwm = c.median([r.hwm_kib for r in ours_idle])
    echo_hwm = c.median([r.hwm_kib for r in echo_idle])
    print()
    rows = []
    if base_idle:
        base_rss = c.median([c.median(r.rss_kib) for r in base_idle])
        ratio = base_rss / echo_rss
        rows.append(
            (
                f"idle RSS, {args.baseline} (before)",
                mib(base_rss),
                mib(echo_rss),
                f"{ratio:.2f}x",
                "met" if ratio <= TARGET_VS_ECHO else "MISSED",
            )
        )
    rows += [
        (
            "idle RSS (median of rounds)",
            mib(ours_rss),
            mib(echo_rss),
            f"{ours_rss / echo_rss:.2f}x",
            "met" if ours_rss / echo_rss <= TARGET_VS_ECHO else "MISSED",
        ),
        (
            "idle peak (VmHWM)",
            mib(ours_hwm),
            mib(echo_hwm),
            f"{ours_hwm / echo_hwm:.2f}x",
            "met" if ours_hwm / echo_hwm <= TARGET_VS_ECHO else "MISSED",
        ),
    ]
    for label, pick in (
        ("backlog: median RSS sample", lambda r: c.median(r.rss_kib)),
        ("backlog: largest RSS sample", lambda r: max(r.rss_kib)),
        ("backlog: peak (VmHWM)", lambda r: r.hwm_kib),
        ("backlog: RSS at the end", lambda r: r.rss_kib[-1]),
    ):
        a, b = pick(ours_b), pick(echo_b)
        rows.append(
            (label, mib(a), mib(b), f"{a / b:.2f}x", "(met)" if a / b <= TARGET_VS_ECHO else "(over 2x)")
        )
    print(
        c.table(
            f"memory, MiB: ours (SQLite) vs the bare echo bot; idle {rounds} interleaved rounds of "
            f"{idle_s:.0f} s; backlog {backlog:,} updates from {users:,} users",
            ("measure", "ours", "echo", "ours/echo", f"target <= {TARGET_VS_ECHO}x"),
            rows,
        )
    )
    for r in (ours_b, echo_b):
        drained = f"{r.drained_s:.1f} s" if r.drained_s is not None else "NOT within the cap"
        print(
            f"  {r.kind}: backlog confirmed after {drained}, watched {r.watched_s:.1f} s, "
            f"{r.sent:,} sendMessage calls meanwhile; "
            + (
                f"exited {r.stop_s:.1f} s after SIGTERM"
                if r.stop_s != float("inf")
                else f"still stopping {STOP_TIMEOUT:.0f} s after SIGTERM (killed)"
            )
        )
    print("  (backlog: no target in the issue; '(met)' compares with the idle 2x)")


async def main_async(args: argparse.Namespace) -> None:
    compile_project(c.ROOT)  # as installed: no module compiled from source at start-up
    print(f"bench_memory: bot process RSS; {c.load_note()}", flush=True)
    await versus_echo(args)
    if args.no_sizes:
        print(f"\n  {c.load_note()}")
        return
    sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    watch_s = 3.0 if args.quick else 8.0
    samples: list[Sample] = []
    for users in sizes:
        async with c.sqlite_database(f"mem{users}") as url:
            samples.append(await measure(url, "sqlite", users, watch_s))
            _progress(samples[-1])
    if not args.no_pg:
        if await c.pg_available():
            async with c.pg_database() as url:
                for users in sizes:
                    await c.reset_pg_schema()
                    samples.append(await measure(url, "postgresql", users, watch_s))
                    _progress(samples[-1])
        else:
            print("  (PostgreSQL not reachable: skipped)")
    report(samples, watch_s)


def _progress(s: Sample) -> None:
    print(f"  .. {s.db} {s.users:,} users: RSS {c.median(s.rss_kib) / 1024:.1f} MiB", flush=True)


def report(samples: list[Sample], watch: float) -> None:
    print()
    rows = [
        (
            s.db,
            f"{s.users:,}",
            f"{s.start_s:.1f}",
            len(s.rss_kib),
            f"{c.median(s.rss_kib) / 1024:.1f}",
            f"{min(s.rss_kib) / 1024:.1f}-{max(s.rss_kib) / 1024:.1f}",
            f"{s.hwm_kib / 1024:.1f}",
        )
        for s in samples
    ]
    print(
        c.table(
            f"python -m bot, VmRSS sampled every 0.5 s for {watch:.0f} s once polling "
            "(dispatch job every 0.5 s, nobody due)",
            ("db", "users", "start s", "samples", "RSS MiB", "range", "peak MiB"),
            rows,
        )
    )
    for db_name in dict.fromkeys(s.db for s in samples):
        mine = [s for s in samples if s.db == db_name]
        small, big = mine[0], mine[-1]
        change = c.median(big.rss_kib) / c.median(small.rss_kib) - 1
        verdict = "met" if abs(change) <= TARGET else "MISSED"
        print(
            f"  {db_name}: {big.users:,} vs {small.users:,} users: {change:+.1%}  "
            f"[target within {TARGET:.0%}: {verdict}]"
        )
    print(f"\n  {c.load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 idle round, 2k backlog, 1k vs 10k users")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sizes", action="store_true", help="skip the 1k vs 100k users part")
    parser.add_argument("--baseline", default="", help="idle part: also this git ref's bot, interleaved")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
