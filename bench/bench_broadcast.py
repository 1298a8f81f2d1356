"""Replies before broadcasts: people tapping through a session while 1,000 reminders go out.

The production path: `bot.app.Runtime` polling the in-process emulator, the shipped sender
(25 messages/s, replies first, broadcast in the remaining budget), the real JobQueue
`dispatch` job (its next run brought forward to the round's start), the emulator enforcing
Telegram's 30 sends in any 1 s window and answering every Bot API call after 20 ms.

Rounds, interleaved (quiet/broadcast, then broadcast/quiet, ...), each with fresh users:
- quiet: N tappers (onboarded, seeded) do /stretch, pain rating, 13 x "Done", pain rating,
  each action as soon as the last one's answer shows (think 0 s: all start at once, as in
  the issue), or after reading 1-3 s (think 2 s: starts spread over 2 s);
- broadcast: the same, started together with 1,000 seeded users whose reminder is due now.
Tap latency = press until the chat shows the next screen. Targets (issue 13): tap p95 during
the broadcast within 2x of without; zero 429s; reminders keep the budget replies leave.

    .venv/bin/python bench/bench_broadcast.py [--quick] [--no-pg] [--pairs N] [--think 0,2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import load_note, machine, median, percentile, pg_version, sqlite_database, table
from bench._live import (
    Ids,
    Live,
    Person,
    add_users,
    crowd,
    live_bot,
    pg_database,
    pg_reachable,
    session_script,
)
from tgemu.core import max_in_window

DELAY = 0.02
TELEGRAM_RATE = 30
USED = 0.95  # "about the configured rate": share of the sender's budget used while both compete


@dataclass
class Round:
    backend: str
    kind: str  # "quiet" | "broadcast"
    think: float
    taps: list[float]
    seconds: float  # first action to last answer
    failed: int
    # While tappers and the broadcast compete (from the job's kick to the last tapper's last
    # answer, or to the last reminder if it came first; a quiet round: the whole tapping):
    # its length and the sends in it. The claim before the first reminder is inside it.
    window_seconds: float
    first_reminder_after: float | None  # seconds from the job's kick to the first reminder sent
    reply_sends: int  # sends/edits into tappers' chats
    reminders_in_window: int
    reminders_total: int
    reminders_left_at_end: int  # still unsent when the last tapper finished
    broadcast_seconds: float | None  # kick -> last reminder sent
    tail_rate: float | None  # reminders/s after the last tapper finished
    errors_429: int
    max_rate: int
    load: float

    @property
    def tap_rate(self) -> float:
        return len(self.taps) / self.seconds if self.seconds else 0.0




async def one_round(
    live: Live, backend: str, kind: str, think: float, ids: Ids, args: argparse.Namespace
) -> Round:
    fake, runtime = live.fake, live.runtime
    today = datetime.now(UTC).date()
    script = session_script(args.done_taps)
    tapper_ids = ids.take(args.tappers)
    await add_users(live.db, tapper_ids, due=None, today=today)
    people = [Person(fake.user(tid, f"T{tid}")) for tid in tapper_ids]
    reminder_ids: list[int] = []
    if kind == "broadcast":
        reminder_ids = ids.take(args.reminders)
        for rid in reminder_ids:
            fake.user(rid, f"R{rid}")
        await add_users(live.db, reminder_ids, due=datetime.now(UTC) - timedelta(seconds=1), today=today)
    await fake.settle(quiet=0.3, timeout=30)
    sends_before = len(fake.sends())
    e429 = fake.count_429
    sent_before = runtime.sender.stats.reminders_sent
    started_mono = time.monotonic()
    if reminder_ids:
        live.kick_dispatch()
    seconds = await crowd(fake, people, script, think=think)
    ended_mono = time.monotonic()
    left = args.reminders - (runtime.sender.stats.reminders_sent - sent_before) if reminder_ids else 0
    broadcast_seconds = None
    if reminder_ids:
        bound = args.reminders / runtime.settings.send_rate_per_second * 3 + 60
        try:
            await fake.wait_for(
                lambda: runtime.sender.stats.reminders_sent - sent_before >= args.reminders,
                bound,
                "the broadcast to finish",
            )
        except TimeoutError:
            pass
    await fake.settle(quiet=0.3, timeout=60)
    tappers, reminded = set(tapper_ids), set(reminder_ids)
    new = fake.sends()[sends_before:]
    reminder_sends = [s for s in new if s.chat_id in reminded]
    opens = started_mono
    first = min((s.ts for s in reminder_sends), default=None)
    closes = min(ended_mono, max((s.ts for s in reminder_sends), default=ended_mono))
    window = [s for s in new if opens <= s.ts <= closes]
    tail_rate = None
    if reminder_sends:
        last = max(s.ts for s in reminder_sends)
        broadcast_seconds = last - started_mono
        tail = [s for s in reminder_sends if s.ts > ended_mono]
        if len(tail) > 1:
            tail_rate = (len(tail) - 1) / (last - min(s.ts for s in tail))
    return Round(
        backend=backend,
        kind=kind,
        think=think,
        tail_rate=tail_rate,
        taps=[x for p in people for x in p.latencies],
        seconds=seconds,
        failed=sum(p.failed is not None for p in people),
        window_seconds=closes - opens,
        first_reminder_after=first - started_mono if first is not None else None,
        reply_sends=sum(s.chat_id in tappers for s in window),
        reminders_in_window=sum(s.chat_id in reminded for s in window),
        reminders_total=len(reminder_sends),
        reminders_left_at_end=left,
        broadcast_seconds=broadcast_seconds,
        errors_429=fake.count_429 - e429,
        max_rate=max_in_window([s.ts for s in new]),
        load=os.getloadavg()[0],
    )




async def backend_rounds(backend: str, url: str, args: argparse.Namespace) -> list[Round]:
    rounds: list[Round] = []
    async with live_bot(url, delay=DELAY, global_rate=TELEGRAM_RATE) as live:
        ids = Ids(7_000_000)
        # Warm-up (not measured): the illustrations are uploaded once, caches and pools fill.
        warm = [Person(live.fake.user(tid, "W")) for tid in ids.take(2)]
        await add_users(live.db, [p.user.user_id for p in warm], due=None, today=datetime.now(UTC).date())
        await crowd(live.fake, warm, session_script())
        plan = [(think, n) for think in args.thinks for n in range(args.pairs)]
        for think, n in plan:
            order = ("quiet", "broadcast") if n % 2 == 0 else ("broadcast", "quiet")
            for kind in order:
                r = await one_round(live, backend, kind, think, ids, args)
                rounds.append(r)
                print(
                    f"  {backend} think {think:g} s, pair {n + 1}, {kind:9s}: {len(r.taps)} taps in "
                    f"{r.seconds:.1f} s, p95 {percentile(r.taps, 95) * 1000:.0f} ms, reminders in window "
                    f"{r.reminders_in_window}, 429s {r.errors_429}, load {r.load:.2f}",
                    flush=True,
                )
    return rounds


def report(rounds: list[Round], args: argparse.Namespace, rate: float) -> bool:
    rows = []
    verdicts: list[tuple[str, bool, str]] = []
    groups = dict.fromkeys((r.backend, r.think) for r in rounds)
    for backend, think in groups:
        mine = [r for r in rounds if r.backend == backend and r.think == think]
        label = f"{backend}, think {think:g} s"
        stats = {}
        for kind in ("quiet", "broadcast"):
            rs = [r for r in mine if r.kind == kind]
            taps = [x for r in rs for x in r.taps]
            secs = sum(r.seconds for r in rs)
            win = sum(r.window_seconds for r in rs)
            reply_rate = sum(r.reply_sends for r in rs) / win
            rem_rate = sum(r.reminders_in_window for r in rs) / win
            p95s = [percentile(r.taps, 95) for r in rs if r.taps]
            stats[kind] = (taps, p95s, reply_rate, rem_rate)
            tails = [r.tail_rate for r in rs if r.tail_rate]
            rows.append(
                [
                    backend,
                    f"{think:g}",
                    kind,
                    len(taps),
                    f"{median(taps) * 1000:.0f}",
                    f"{percentile(taps, 95) * 1000:.0f}",
                    " / ".join(f"{x * 1000:.0f}" for x in p95s),
                    f"{len(taps) / secs:.1f}",
                    f"{reply_rate:.1f}",
                    f"{rem_rate:.1f}" if kind == "broadcast" else "-",
                    " / ".join(
                        f"{r.reminders_total} in {r.broadcast_seconds:.0f}s"
                        for r in rs
                        if r.broadcast_seconds
                    )
                    or "-",
                    " / ".join(f"{t:.1f}" for t in tails) or "-",
                    " / ".join(
                        f"{r.first_reminder_after * 1000:.0f}"
                        for r in rs
                        if r.first_reminder_after is not None
                    )
                    or "-",
                    sum(r.errors_429 for r in rs),
                    max(r.max_rate for r in rs),
                    sum(r.failed for r in rs),
                    f"{min(r.load for r in rs):.1f}-{max(r.load for r in rs):.1f}",
                ]
            )
        quiet_p95 = percentile(stats["quiet"][0], 95)
        busy_p95 = percentile(stats["broadcast"][0], 95)
        ratio = busy_p95 / quiet_p95
        per_pair = [b / q for q, b in zip(stats["quiet"][1], stats["broadcast"][1], strict=False)]
        verdicts.append(
            (
                f"{label}: tap p95 during the broadcast within 2x of without",
                ratio <= 2.0,
                f"{busy_p95 * 1000:.0f} vs {quiet_p95 * 1000:.0f} ms = {ratio:.2f}x "
                f"(per pair: {', '.join(f'{x:.2f}x' for x in per_pair)})",
            )
        )
        n429 = sum(r.errors_429 for r in mine)
        verdicts.append(
            (
                f"{label}: zero 429s",
                n429 == 0,
                f"{n429} (most sends in any 1 s: {max(r.max_rate for r in mine)})",
            )
        )
        _, _, reply_rate, rem_rate = stats["broadcast"]
        used = (rem_rate + reply_rate) / rate
        verdicts.append(
            (
                f"{label}: reminders take the budget replies leave "
                f"(replies + reminders >= {USED:.2f} of the rate while tapping)",
                used >= USED,
                f"{rem_rate:.1f}/s reminders + {reply_rate:.1f}/s replies = "
                f"{rem_rate + reply_rate:.1f}/s of {rate:g}/s ({used:.3f})",
            )
        )
        fails = sum(r.failed for r in mine)
        if fails:
            verdicts.append((f"{label}: every tapper finished", False, f"{fails} gave up (timeout)"))
    print()
    print(
        table(
            f"Taps during a broadcast ({args.tappers} tappers, {args.reminders} reminders, "
            f"Bot API {DELAY * 1000:.0f} ms, emulator {TELEGRAM_RATE}/s, sender {rate:g}/s; "
            "sends/s while the tappers tapped)",
            [
                "db",
                "think s",
                "round",
                "taps",
                "p50 ms",
                "p95 ms",
                "p95 per round",
                "taps/s",
                "reply sends/s",
                "reminders/s",
                "broadcast",
                "after taps /s",
                "1st reminder ms",
                "429",
                "max/1s",
                "gave up",
                "load",
            ],
            rows,
        )
    )
    print()
    ok = True
    for what, met, detail in verdicts:
        ok &= met
        print(f"  {'MET   ' if met else 'MISSED'}  {what}: {detail}")
    return ok


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="8 tappers, short sessions, 200 reminders, 1 pair")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument(
        "--pairs", type=int, default=None, help="quiet/broadcast round pairs per database and think time"
    )
    ap.add_argument("--tappers", type=int, default=None)
    ap.add_argument("--reminders", type=int, default=None)
    ap.add_argument(
        "--think",
        default=None,
        help="comma-separated seconds a person reads before the next tap (default: 0,2; quick: 0)",
    )
    args = ap.parse_args()
    args.pairs = args.pairs or (1 if args.quick else 2)
    args.tappers = args.tappers or (8 if args.quick else 32)
    args.reminders = args.reminders or (200 if args.quick else 1000)
    args.done_taps = 4 if args.quick else None
    args.thinks = [float(x) for x in (args.think or ("0" if args.quick else "0,2")).split(",")]
    from config import load_settings

    rate = load_settings(bot_token="1:x", _env_file=None).send_rate_per_second
    m = machine()
    print(
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {await pg_version() or '-'}; {load_note()}"
    )
    started = time.perf_counter()
    rounds: list[Round] = []
    async with sqlite_database("bench_pipe") as url:
        rounds += await backend_rounds("SQLite", url, args)
    if not args.no_pg:
        if await pg_reachable():
            async with pg_database("bench_pipe") as url:
                rounds += await backend_rounds("PostgreSQL", url, args)
        else:
            print("PostgreSQL not reachable: skipped")
    ok = report(rounds, args, rate)
    print(f"\n{load_note()}; {time.perf_counter() - started:.0f} s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
