"""What a step tap costs: the bot against a tutorial-style PTB bot and a bare echo.

    python bench/bench_taps.py [--quick] [--rounds N] [--taps N] [--no-pg]

All three bots run in this process, each against its own emulator (tgemu FakeTelegram via
EmulatorRequest) with PTB's own long polling, `concurrent_updates` and the production
sender's pace (25 counted calls a second, no bursts, 3 per chat per second; the reference
bots get the same limits as a PTB rate limiter, bench/refbots.py). Our bot is the
production Runtime (inbox, worker, outbox, sender, JobQueue jobs) with text cards
(illustrations off, as the reference bots send text).

A tap is measured from the press (the emulator queues the callback query) until the
bot's visible answer: the emulator holds the query's answer AND the chat shows the next
step (the pressed message, or the chat's last message, carries the next step's "Done"
button; after the last step: the next screen's buttons). The emulator performs a call
when it arrives and answers the bot `--delay` later, so with 20 ms a bot that answers
and then edits (the reference bots, as PTB's examples do it) shows its edit one round trip
after the answer. Ours sends the answer alongside the edit (bot/pipeline/sender.py), so
both show as they arrive. All of the delay falls on the way back here, which favours that:
on a real network each call also takes about half the round trip to arrive.

Users first go through onboarding (our bot; not timed). Each round, per scenario, every
bot in turn (order rotated per round) runs one session for each of its users: the start
(/stretch and the pain rating for ours; /stretch for the tutorial bot; a text for the
echo) and the end (the pain rating after) are not timed and are fenced off from the taps
(all users begin, then all tap, then all end). Users tap with a think time: 0.35-0.45 s
for one user (the per-chat limit of 3 a second is not what is measured), 1.2-2.0 s each
for 32 users at once with random phases (~19 taps/s offered, below the 25/s pace, so the
figure is the tap's cost and not a queue at the pacer). Also counted over the timed taps:
CPU seconds of this process (all threads, PostgreSQL's server not included), SQL
statements (`before_cursor_execute`), transactions (commits) and aiosqlite thread
hand-offs, per tap. Bounded: scenarios x rounds x bots x users x taps. Nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this worktree's bot, first

import aiosqlite.core
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import _common as c
from bench import refbots
from bot import buttons as b
from bot import renderers
from bot.app import Runtime
from bot.domain.routine import STEPS
from config import load_settings
from db.engine import Database
from db.migrate import upgrade
from db.models import User
from db.states import OnboardingStep
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

TOKEN = "123456789:BENCHtokenBENCHtokenBENCHtokenBENCH"
PG_DB = "bench_taps"  # our own database: other benchmarks may use `bench` at the same time
USER_BASE = 50_000
END = len(STEPS)
WAIT = 60.0  # seconds a single tap may take before the run is called broken

# --------------------------------------------------------------------------- counters

ACTIVE = ["-"]  # which bot the aiosqlite hand-offs are booked to
COUNTS: dict[str, Counter[str]] = defaultdict(Counter)
_real_execute = aiosqlite.core.Connection._execute


async def _counted_execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    COUNTS[ACTIVE[0]]["handoffs"] += 1
    return await _real_execute(self, fn, *args, **kwargs)


aiosqlite.core.Connection._execute = _counted_execute  # type: ignore[method-assign]


def count_sql(engine: AsyncEngine, name: str) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _stmt(*_: Any) -> None:
        COUNTS[name]["statements"] += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(*_: Any) -> None:
        COUNTS[name]["commits"] += 1


# --------------------------------------------------------------------------- what the chat shows


def _datas(payload: dict[str, Any]) -> list[str]:
    markup = payload.get("reply_markup") or {}
    return [btn.get("callback_data", "") for row in markup.get("inline_keyboard", []) for btn in row]


def showing(fake: FakeTelegram, chat_id: int, message_id: int | None, data: str) -> int | None:
    """The id of the pressed or the last message if it carries button `data`."""
    messages = fake.chats[chat_id].messages
    candidates = []
    if message_id is not None and message_id in messages:
        candidates.append(messages[message_id])
    if messages:
        candidates.append(next(reversed(messages.values())))
    for msg in candidates:
        if msg.from_bot and data in _datas(msg.payload):
            return msg.message_id
    return None


def answered(fake: FakeTelegram, query_id: str) -> bool:
    # The emulator's own record of the query (O(1); callback_answer() scans a list).
    query = fake._queries.get(query_id)
    return query is not None and query.answered


async def shown(fake: FakeTelegram, user: TelegramUser, message_id: int | None, data: str) -> int:
    found: list[int] = []

    def check() -> bool:
        mid = showing(fake, user.chat_id, message_id, data)
        if mid is not None:
            found.append(mid)
        return mid is not None

    await fake.wait_for(check, WAIT, f"{data!r} shown")
    return found[-1]


async def tap(
    fake: FakeTelegram, user: TelegramUser, message_id: int, data: str, expect: str
) -> tuple[float, int]:
    """Press `data`; seconds until the answer is in and `expect` is on screen, and where."""
    started = time.perf_counter()
    query = user.press_raw(data, message_id)
    found: list[int] = []

    def visible() -> bool:
        if not answered(fake, query):
            return False
        mid = showing(fake, user.chat_id, message_id, expect)
        if mid is not None:
            found.append(mid)
        return mid is not None

    await fake.wait_for(visible, WAIT, f"tap {data!r} answered and {expect!r} shown")
    return time.perf_counter() - started, found[-1]


# --------------------------------------------------------------------------- the bots


@dataclass
class Live:
    """A user's session as the benchmark follows it: the message to press and its button."""

    message_id: int
    data: str
    session: int = 0
    step: int = 0


class Bot:
    name = "?"
    fake: FakeTelegram
    users: list[TelegramUser]

    async def begin(self, user: TelegramUser) -> Live:
        raise NotImplementedError

    def expect(self, live: Live, step: int) -> str:
        """The button shown once step `step` is done."""
        raise NotImplementedError

    async def end(self, user: TelegramUser, live: Live, taps: int) -> None:
        """Close the session (not timed)."""

    async def quiet(self) -> None:
        await self.fake.settle(0.05, timeout=WAIT)

    def paced(self, on: bool) -> None:
        """The production pace for the timed taps; lifted for the untimed start and end."""
        limiter = self.app.bot.rate_limiter
        assert isinstance(limiter, refbots.PacedLimiter)
        limiter.interval, limiter.chat_burst = (self.interval, 3) if on else (0.0005, 1000)

    app: Any
    interval = 0.0


class Ours(Bot):
    name = "ours"

    def __init__(self, runtime: Runtime, fake: FakeTelegram, users: list[TelegramUser]) -> None:
        self.runtime, self.fake, self.users = runtime, fake, users
        self.interval = runtime.sender.interval

    async def quiet(self) -> None:
        """Every update Telegram handed out is stored and handled, and its effects delivered."""
        from db.models import InboxUpdate

        sender, worker = self.runtime.sender, self.runtime.worker
        for _ in range(1200):
            await self.fake.settle(0.02, timeout=WAIT)
            async with self.runtime.db.session() as s:
                pending, last = (
                    await s.execute(
                        select(
                            func.count().filter(InboxUpdate.done_at.is_(None)),
                            func.max(InboxUpdate.update_id),
                        )
                    )
                ).one()
            if not pending and (last or 0) >= self.fake._handed_out and not worker.busy():
                await sender.drain(WAIT)
                if not sender.backlog():
                    return
        raise RuntimeError("the bot never went quiet")

    def paced(self, on: bool) -> None:
        sender = self.runtime.sender
        sender.interval, sender.chat_burst = (self.interval, 3) if on else (0.0005, 1000)

    async def begin(self, user: TelegramUser) -> Live:
        before = user.last_bot_message().message_id
        user.send_command("stretch")

        def pain_card() -> bool:
            last = user.last_bot_message()
            return last.message_id != before and any(d.startswith("pn") for d in last.callback_data)

        await self.fake.wait_for(pain_card, WAIT, "the pain question")
        card = user.last_bot_message()
        button = b.parse(card.callback_data[3])
        assert isinstance(button, b.PainButton)
        sid = button.session
        user.press_raw(b.PainButton(sid, b.PainWhen.BEFORE, 3).pack(), card.message_id)
        first = b.StepButton(sid, 0, b.StepAction.DONE).pack()
        mid = await shown(self.fake, user, card.message_id, first)
        return Live(mid, first, sid)

    def expect(self, live: Live, step: int) -> str:
        if step + 1 < END:
            return b.StepButton(live.session, step + 1, b.StepAction.DONE).pack()
        return b.PainButton(live.session, b.PainWhen.AFTER, 0).pack()

    async def end(self, user: TelegramUser, live: Live, taps: int) -> None:
        if taps >= END:
            user.press_raw(b.PainButton(live.session, b.PainWhen.AFTER, 3).pack(), live.message_id)
        else:
            user.send_command("cancel")


class Tutorial(Bot):
    name = "tutorial"

    def __init__(self, fake: FakeTelegram, users: list[TelegramUser], app: Any) -> None:
        self.fake, self.users, self.app = fake, users, app
        self.interval = app.bot.rate_limiter.interval

    async def begin(self, user: TelegramUser) -> Live:
        user.send_command("stretch")

        def started() -> bool:
            try:
                last = user.last_bot_message()
            except LookupError:  # nothing from the bot yet
                return False
            return any(d.endswith(":0") and d.startswith("done:") for d in last.callback_data)

        await self.fake.wait_for(started, WAIT, "step 1")
        msg = user.last_bot_message()
        data = msg.callback_data[0]
        return Live(msg.message_id, data, int(data.split(":")[1]))

    def expect(self, live: Live, step: int) -> str:
        return refbots.step_data(live.session, step + 1) if step + 1 < END else refbots.FINISHED


class Echo(Bot):
    name = "echo"

    def __init__(self, fake: FakeTelegram, users: list[TelegramUser], app: Any) -> None:
        self.fake, self.users, self.app = fake, users, app
        self.interval = app.bot.rate_limiter.interval

    async def begin(self, user: TelegramUser) -> Live:
        user.send_text("go")
        first = refbots.echo_data(0)
        mid = await shown(self.fake, user, None, first)
        return Live(mid, first)

    def expect(self, live: Live, step: int) -> str:
        return refbots.echo_data(step + 1)


# --------------------------------------------------------------------------- a round


@dataclass
class Sample:
    taps: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    single: list[int] = field(default_factory=list)  # statements of each tap, one user only


async def one_round(bot: Bot, users: int, taps: int, rng: random.Random, into: Sample) -> None:
    people = bot.users[:users]
    think = (0.35, 0.45) if users == 1 else (1.2, 2.0)
    bot.paced(False)
    lives = await asyncio.gather(*(bot.begin(u) for u in people))
    await bot.quiet()
    bot.paced(True)
    ACTIVE[0] = bot.name
    before = Counter(COUNTS[bot.name])
    cpu, wall = time.process_time(), time.perf_counter()

    async def tapping(user: TelegramUser, live: Live, phase: float) -> None:
        await asyncio.sleep(phase)
        for step in range(taps):
            expect = bot.expect(live, step)
            mark = COUNTS[bot.name]["statements"]
            seconds, mid = await tap(bot.fake, user, live.message_id, live.data, expect)
            into.taps.append(seconds)
            live.message_id, live.data = mid, expect
            await asyncio.sleep(rng.uniform(*think))
            if users == 1:
                into.single.append(COUNTS[bot.name]["statements"] - mark)

    await asyncio.gather(
        *(
            tapping(u, live, rng.uniform(0, think[1]) if users > 1 else 0.0)
            for u, live in zip(people, lives, strict=True)
        )
    )
    into.wall += time.perf_counter() - wall
    into.cpu += time.process_time() - cpu
    into.counts.update(COUNTS[bot.name] - before)
    ACTIVE[0] = "-"
    bot.paced(False)
    await asyncio.gather(*(bot.end(u, live, taps) for u, live in zip(people, lives, strict=True)))
    await bot.quiet()
    bot.paced(True)


# --------------------------------------------------------------------------- set-up


async def onboard(runtime: Runtime, fake: FakeTelegram, users: list[TelegramUser], ours: Ours) -> None:
    """Every user through /start as a person would (lock-step; not timed, pace lifted)."""
    from bot.domain.screening import QUESTIONS

    ours.paced(False)
    steps: list[Callable[[TelegramUser], object]] = [
        lambda u: u.send_command("start"),
        lambda u: u.press("Let's go"),
        lambda u: u.press("I have seen or will see a clinician"),
        *[lambda u: u.press("No") for _ in QUESTIONS],
        lambda u: u.send_text("Europe/Berlin"),
        lambda u: u.press(b.TimeButton(8 * 60).pack()),
        lambda u: u.press("Yes, I have a band"),
        lambda u: u.press("Wait for my reminder"),
    ]
    try:
        for step in steps:
            for u in users:
                step(u)
            await ours.quiet()
    finally:
        ours.paced(True)
    async with runtime.db.session() as s:
        done = await s.scalar(
            select(func.count()).select_from(User).where(User.onboarding_step == OnboardingStep.DONE)
        )
    if done != len(users):
        raise RuntimeError(f"onboarding finished for {done} of {len(users)} users")


Results = dict[tuple[int, int, str], Sample]  # (users, delay ms, bot) -> sample


async def run(
    url: str,
    tutorial_url: str,
    *,
    users: int,
    rounds: int,
    taps: int,
    scenarios: list[tuple[int, int]],
    seed: int = 14,
) -> Results:
    rng = random.Random(seed)
    db = Database(url)
    await upgrade(db)
    settings = load_settings(bot_token=TOKEN, database_url=url, _env_file=None)
    fakes = {name: FakeTelegram() for name in ("ours", "tutorial", "echo")}
    runtime = Runtime(
        settings,
        db,
        request=EmulatorRequest(fakes["ours"]),
        get_updates_request=EmulatorRequest(fakes["ours"]),
    )
    count_sql(db.engine, "ours")
    tutorial = await refbots.Tutorial.create(
        tutorial_url,
        fakes["tutorial"],
        steps=END,
        rate=settings.send_rate_per_second,
        concurrent=settings.concurrent_updates,
    )
    count_sql(tutorial.engine, "tutorial")
    echo = refbots.echo_bot(
        fakes["echo"], rate=settings.send_rate_per_second, concurrent=settings.concurrent_updates
    )
    people = {
        name: [fake.user(USER_BASE + i, f"U{i}", language_code="en") for i in range(users)]
        for name, fake in fakes.items()
    }
    bots: list[Bot] = [
        Ours(runtime, fakes["ours"], people["ours"]),
        Tutorial(fakes["tutorial"], people["tutorial"], tutorial.app),
        Echo(fakes["echo"], people["echo"], echo),
    ]
    real_keys = renderers.media_keys
    renderers.media_keys = lambda: frozenset()  # type: ignore[assignment]  # text cards, as the others
    results: Results = {}
    try:
        await runtime.start()
        await runtime.start_polling()
        await refbots.run_app(tutorial.app)
        await refbots.run_app(echo)
        await onboard(runtime, fakes["ours"], people["ours"], bots[0])  # type: ignore[arg-type]
        for n, delay in scenarios:
            for fake in fakes.values():
                fake.response_delay = delay / 1000
            if (n, delay) == scenarios[0]:
                # One untimed warm-up session per bot (first-use costs: imports, statement caches).
                for bot in bots:
                    await one_round(bot, n, min(taps, 3), rng, Sample())
            for r in range(rounds):
                order = bots[r % 3 :] + bots[: r % 3]
                for bot in order:
                    await one_round(bot, n, taps, rng, results.setdefault((n, delay, bot.name), Sample()))
    finally:
        renderers.media_keys = real_keys
        await refbots.stop_app(echo)
        await refbots.stop_app(tutorial.app)
        await runtime.stop()
        await tutorial.engine.dispose()
        await db.dispose()
        for fake in fakes.values():
            await fake.aclose()
    return results


# --------------------------------------------------------------------------- report

TARGET = 1.5


def report(label: str, results: Results) -> list[str]:
    rows, verdicts = [], []
    for n, delay in sorted({(n, d) for n, d, _ in results}):
        med: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for name in ("ours", "tutorial", "echo"):
            sample = results[(n, delay, name)]
            ms = [t * 1000 for t in sample.taps]
            count = len(ms)
            med[name] = c.median(ms)
            cpu[name] = sample.cpu * 1000 / count
            per = {k: sample.counts[k] / count for k in ("statements", "commits", "handoffs")}
            rows.append(
                [
                    f"{n}",
                    f"{delay}",
                    name,
                    count,
                    f"{med[name]:.1f}",
                    f"{c.percentile(ms, 95):.1f}",
                    f"{count / sample.wall:.1f}",
                    f"{cpu[name]:.2f}",
                    f"{per['statements']:.1f}",
                    f"{per['commits']:.1f}",
                    f"{per['handoffs']:.1f}",
                ]
            )
        tut, echo = med["ours"] / med["tutorial"], med["ours"] / med["echo"]
        rows.append(
            [
                "",
                "",
                "ours/tutorial",
                "",
                f"{tut:.2f}x",
                "",
                "",
                f"{cpu['ours'] / cpu['tutorial']:.2f}x",
                "",
                "",
                "",
            ]
        )
        rows.append(
            ["", "", "ours/echo", "", f"{echo:.2f}x", "", "", f"{cpu['ours'] / cpu['echo']:.2f}x", "", "", ""]
        )
        verdicts.append(
            f"  {label}, {n} user(s), {delay} ms: ours/tutorial {tut:.2f}x (median) -> "
            + ("MET" if tut <= TARGET else "MISSED")
            + f" (target <= {TARGET}x)"
        )
    out = [
        c.table(
            f"step taps, {label}",
            [
                "users",
                "delay ms",
                "bot",
                "taps",
                "median ms",
                "p95 ms",
                "taps/s",
                "CPU ms/tap",
                "SQL/tap",
                "commits/tap",
                "hand-offs/tap",
            ],
            rows,
        )
    ]
    singles = {name: results[(n, d, name)].single for n, d, name in results if n == 1 and d == 0}
    if singles:
        out.append(
            "  statements per tap, one user (each tap, median): "
            + ", ".join(f"{name} {c.median(v):.0f}" for name, v in singles.items() if v)
        )
    return out + verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, 4 taps a session")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--taps", type=int, default=END, help=f"taps timed per session (<= {END})")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--delays", default="0,20", help="Bot API delays to run, ms")
    args = parser.parse_args()
    rounds, taps = (1, 4) if args.quick else (args.rounds, min(args.taps, END))
    scenarios = [(n, int(d)) for n in (1, args.users) for d in args.delays.split(",")]
    print(" · ".join(f"{k}: {v}" for k, v in c.machine().items()))
    print(c.load_note())

    async def everything() -> list[str]:
        lines: list[str] = []
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory(prefix="bench-taps-") as tmp:
                ours, theirs = (f"sqlite+aiosqlite:///{Path(tmp) / n}.sqlite3" for n in ("ours", "tutorial"))
                lines += report(
                    "SQLite",
                    await run(ours, theirs, users=args.users, rounds=rounds, taps=taps, scenarios=scenarios),
                )
        print("\n".join(lines), flush=True)
        if not args.no_pg and await c.pg_available():
            await c.create_pg_bench(PG_DB)
            url = c.pg_url(PG_DB)
            try:
                pg = report(
                    "PostgreSQL",
                    await run(url, url, users=args.users, rounds=rounds, taps=taps, scenarios=scenarios),
                )
            finally:
                await c.drop_pg_bench(PG_DB)
            print("\n".join(pg), flush=True)
            lines += pg
        return lines

    asyncio.run(everything())
    print(c.load_note())


if __name__ == "__main__":
    main()
