"""Benchmark per-update overhead: the real Application, in-process emulator, a realistic mix.

200 onboarded users (among 10,000 seeded, with history) each get a reminder, then, round
robin so 200 sessions are open at once: tap "Start now" (or "In 30 min" then /stretch), rate
their pain, Done/Skip through the 13 exercise steps, rate pain again, /progress (its text;
the picture render is patched to "no picture", so the reply is a text message instead).
Two days of that is ~7,000 updates. Each update is fetched with getUpdates (not timed),
then `Application.process_update` is timed.

Baseline in the same run: the same Application set-up (build_application, same request
class and settings) with every handler replaced by a bare echo, fed the same number of
text messages, in blocks alternating with the real workload so machine noise hits both.
A second baseline adds one small write transaction to the echo: the floor for any handler
that stores something.

    python bench/bench_updates.py [--quick] [--no-pg] [--users N] [--days N]

Afterwards, outside the targets: the latency of Done presses while one dispatch_due claims
and sends 500 other users' reminders (a popular reminder minute).

Targets: p99 < 20 ms on SQLite; mean cost per update < 3x the echo baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from sqlalchemy import event, func, select, update
from sqlalchemy import update as update_
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from telegram import Bot, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

import bot.handlers.progress as progress_mod
from bench import _common as c
from bot.app import build_application
from bot.deps import DEPS_KEY, Deps
from bot.services.dispatch import dispatch_due
from config import load_settings
from db.engine import Database
from db.models import PracticeSession, User
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

TOKEN = "123456789:BENCHtokenBENCHtokenBENCHtokenBENCH"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
POPULATION = 10_000
P99_TARGET_MS = 20.0
RATIO_TARGET = 3.0
DISPATCH_USERS = 500  # one full claim batch


@dataclass
class Run:
    db: str
    real: list[float] = field(default_factory=list)
    echo: list[float] = field(default_factory=list)
    echo_db: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # per kind: [SQL statements, API calls, SQL s, commit s, API s]
    cost: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0] * 5))
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    expected: int = 0
    during: list[float] = field(default_factory=list)  # step presses while dispatch_due runs
    dispatch_s: float = 0.0
    dispatch_sent: int = 0


@dataclass
class Costs:
    """Where the time inside process_update went (seconds), accumulated while `CURRENT` is set."""

    sql_n: int = 0
    sql_s: float = 0.0
    commit_s: float = 0.0
    api_s: float = 0.0

    def snapshot(self) -> tuple[int, float, float, float]:
        return self.sql_n, self.sql_s, self.commit_s, self.api_s


CURRENT: Costs | None = None


@contextmanager
def cost_probes() -> Iterator[None]:
    """Time Bot API calls (Bot._post: request building, emulator, JSON back) and DB commits."""
    real_post = Bot._post
    adapters = (AsyncAdapt_dbapi_connection, AsyncAdapt_asyncpg_connection)
    real_commits = [a.commit for a in adapters]

    async def post(self: Bot, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return await real_post(self, *args, **kwargs)
        finally:
            if CURRENT is not None:
                CURRENT.api_s += time.perf_counter() - t

    def timed_commit(real: Any) -> Any:
        def commit(self: Any) -> None:
            t = time.perf_counter()
            try:
                real(self)
            finally:
                if CURRENT is not None:
                    CURRENT.commit_s += time.perf_counter() - t

        return commit

    Bot._post = post  # type: ignore[method-assign]
    for adapter, real in zip(adapters, real_commits, strict=True):
        adapter.commit = timed_commit(real)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Bot._post = real_post  # type: ignore[method-assign]
        for adapter, real in zip(adapters, real_commits, strict=True):
            adapter.commit = real  # type: ignore[method-assign]


class Driver:
    """One Application + emulator; feeds one update at a time and times process_update."""

    def __init__(self, app: Application, fake: FakeTelegram) -> None:  # type: ignore[type-arg]
        self.app = app
        self.fake = fake
        self.offset = 0
        self.costs = Costs()
        engine = app.bot_data[DEPS_KEY].db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info["bench_t"] = time.perf_counter()

    def _after(self, conn: Any, *_args: Any) -> None:
        if CURRENT is self.costs:
            self.costs.sql_n += 1
            self.costs.sql_s += time.perf_counter() - conn.info.pop("bench_t", time.perf_counter())

    async def step(self) -> tuple[float, int, tuple[int, float, float, float]]:
        """(ms inside process_update, Bot API calls, cost deltas) for the one pending update."""
        global CURRENT
        updates = await self.app.bot.get_updates(offset=self.offset, timeout=0)
        assert len(updates) == 1, f"{len(updates)} updates pending"
        self.offset = updates[0].update_id + 1
        before, api = self.costs.snapshot(), sum(self.fake.status_counts.values())
        CURRENT = self.costs
        t = time.perf_counter()
        try:
            await self.app.process_update(updates[0])
        finally:
            ms = (time.perf_counter() - t) * 1000
            CURRENT = None
        after = self.costs.snapshot()
        delta = (after[0] - before[0], *(after[i] - before[i] for i in (1, 2, 3)))
        return ms, sum(self.fake.status_counts.values()) - api, delta  # type: ignore[return-value]


async def start(url: str, fake: FakeTelegram, errors: list[str]) -> Application:  # type: ignore[type-arg]
    """As tests/harness.py: the real build, emulator request, no rate limit, dispatch not scheduled."""
    settings = load_settings(bot_token=TOKEN, database_url=url, timer_scale=0.01, _env_file=None)
    app = build_application(settings, Database(url), request=EmulatorRequest(fake),
                            get_updates_request=EmulatorRequest(fake), schedule_dispatch=False,
                            rate_limit=False)

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(repr(context.error))

    app.add_error_handler(record)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    return app


def make_echo(app: Application, *, db_write: bool = False) -> None:  # type: ignore[type-arg]
    """Replace every handler by an echo; `db_write` adds one small write transaction first
    (the floor for any handler that stores something)."""
    for group, handlers in list(app.handlers.items()):
        for handler in list(handlers):
            app.remove_handler(handler, group)
    deps: Deps = app.bot_data[DEPS_KEY]

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        if db_write:
            async with deps.db.session() as s:
                await s.execute(update_(User).where(User.telegram_id == update.effective_chat.id)
                                .values(awaiting=None))
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "?")

    async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(echo_button))


@contextmanager
def no_picture() -> Iterator[None]:
    real = progress_mod.render_progress_png_async

    async def none(_chart: Any) -> None:
        return None

    progress_mod.render_progress_png_async = none  # type: ignore[assignment]
    try:
        yield
    finally:
        progress_mod.render_progress_png_async = real


def day_script(index: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, action, argument) for one user's day; kinds are what the table breaks down by."""
    script: list[tuple[str, str, str]] = []
    if index % 2 == 0:
        script.append(("reminder button", "press", "▶️ Start now"))
    else:
        script.append(("reminder button", "press", "⏰ In 30 min"))
        script.append(("/stretch", "cmd", "/stretch"))
    pain = rng.randint(2, 7)
    script.append(("pain rating", "press", str(pain)))
    for _ in range(13):
        script.append(("step Done/Skip", "press", "✅ Done" if rng.random() < 0.85 else "Skip"))
    script.append(("pain rating", "press", str(max(pain - 1, 0))))
    script.append(("/progress (text)", "cmd", "/progress"))
    return script


def act(user: TelegramUser, action: str, arg: str) -> None:
    if action == "press":
        user.press(arg)
    else:
        user.send_command(arg)


async def run_db(kind: str, url: str, users: int, days: int) -> Run:
    run = Run(kind)
    await c.seed(url, c.SeedPlan(POPULATION, T0 - timedelta(days=1)))
    fake, echo_fake, echo_db_fake = FakeTelegram(), FakeTelegram(), FakeTelegram()
    app = await start(url, fake, run.errors)
    echo_app = await start(url, echo_fake, run.errors)
    make_echo(echo_app)
    echo_db_app = await start(url, echo_db_fake, run.errors)
    make_echo(echo_db_app, db_write=True)
    deps: Deps = app.bot_data[DEPS_KEY]
    db = deps.db
    async with db.session() as s:
        # Everyone else's reminder is beyond the benchmark's days: only the actors are dispatched.
        await s.execute(update(User).where(User.next_reminder_at.is_not(None))
                        .values(next_reminder_at=T0 + timedelta(days=60)))
        actor_ids = list((await s.execute(select(User.id).where(User.next_reminder_at.is_not(None))
                                          .order_by(User.id).limit(users))).scalars())
    people = [fake.user(c.TELEGRAM_ID_BASE + i, f"User{i}") for i in actor_ids]
    echo_people = [echo_fake.user(c.TELEGRAM_ID_BASE + i, f"User{i}") for i in actor_ids]
    echo_db_people = [echo_db_fake.user(c.TELEGRAM_ID_BASE + i, f"User{i}") for i in actor_ids]
    real, echo = Driver(app, fake), Driver(echo_app, echo_fake)
    echo_db = Driver(echo_db_app, echo_db_fake)
    rng = random.Random(22)
    try:
        for day in range(days):
            now = T0 + timedelta(days=day)
            deps.clock = lambda now=now: now  # type: ignore[misc]
            async with db.session() as s:
                await s.execute(update(User), [{"id": i, "next_reminder_at": now} for i in actor_ids])
            for _ in range(10):  # reminders for today (not timed)
                if (await dispatch_due(app.bot, deps)).claimed == 0:
                    break
            scripts = [day_script(n, rng) for n in range(len(people))]
            for k in range(max(len(s) for s in scripts)):
                block = 0
                for person, script in zip(people, scripts, strict=True):
                    if k >= len(script):
                        continue
                    what, action, arg = script[k]
                    act(person, action, arg)
                    ms, api, (sql_n, sql_s, commit_s, api_s) = await real.step()
                    run.real.append(ms)
                    run.by_kind[what].append(ms)
                    for i, v in enumerate((sql_n, api, sql_s, commit_s, api_s)):
                        run.cost[what][i] += v
                    block += 1
                for n in range(block):  # the baselines, same count, interleaved by block
                    echo_people[n % len(echo_people)].send_text(f"hello {k}")
                    run.echo.append((await echo.step())[0])
                    echo_db_people[n % len(echo_db_people)].send_text(f"hello {k}")
                    run.echo_db.append((await echo_db.step())[0])
            run.expected += len(people)
        async with db.session() as s:
            run.completed = int(await s.scalar(select(func.count()).where(
                PracticeSession.status.in_(("completed", "incomplete")),
                PracticeSession.started_at >= T0)) or 0)
        await during_dispatch(run, real, deps, people, actor_ids, T0 + timedelta(days=days))
    finally:
        for a in (app, echo_app, echo_db_app):
            await a.stop()
            await a.shutdown()
        for f in (fake, echo_fake, echo_db_fake):
            await f.aclose()
    return run


async def during_dispatch(run: Run, real: Driver, deps: Deps, people: list[TelegramUser],
                          actor_ids: list[int], now: datetime) -> None:
    """Step presses while one dispatch_due claims and sends DISPATCH_USERS other users' reminders."""
    db = deps.db
    deps.clock = lambda: now
    async with db.session() as s:
        await s.execute(update(User), [{"id": i, "next_reminder_at": now} for i in actor_ids])
    for _ in range(10):
        if (await dispatch_due(real.app.bot, deps)).claimed == 0:
            break
    for person in people:  # everyone in a session, ready to press Done (not timed)
        act(person, "press", "▶️ Start now")
        await real.step()
        act(person, "press", "4")
        await real.step()
    async with db.session() as s:
        others = list((await s.execute(select(User.id).where(User.next_reminder_at.is_not(None),
                                                             User.id.not_in(actor_ids))
                                       .order_by(User.id).limit(DISPATCH_USERS))).scalars())
        await s.execute(update(User), [{"id": i, "next_reminder_at": now} for i in others])
    for i in others:
        real.fake.user(c.TELEGRAM_ID_BASE + i, f"User{i}")
    t = time.perf_counter()
    job = asyncio.create_task(dispatch_due(real.app.bot, deps))
    await asyncio.sleep(0)  # let the claim begin first, as when the job fires just before a tap
    for k in range(13 * len(people)):
        if job.done():
            break
        act(people[k % len(people)], "press", "✅ Done")
        run.during.append((await real.step())[0])
    report = await job
    run.dispatch_s, run.dispatch_sent = time.perf_counter() - t, report.sent


async def main_async(args: argparse.Namespace) -> None:
    users = args.users or (40 if args.quick else 200)
    days = args.days or (1 if args.quick else 2)
    print(f"bench_updates: {users} users x {days} day(s), real handlers vs bare echo; {c.load_note()}",
          flush=True)
    runs: list[Run] = []
    with no_picture(), cost_probes():
        async with c.sqlite_database("updates") as url:
            runs.append(await run_db("sqlite", url, users, days))
            _progress(runs[-1])
        if not args.no_pg:
            if await c.pg_available():
                async with c.pg_database() as url:
                    runs.append(await run_db("postgresql", url, users, days))
                    _progress(runs[-1])
            else:
                print("  (PostgreSQL not reachable: skipped)")
    report(runs)


def _progress(run: Run) -> None:
    print(f"  .. {run.db}: {len(run.real)} updates, p99 {c.percentile(run.real, 99):.1f} ms", flush=True)


def report(runs: list[Run]) -> None:
    print()
    rows = []
    for r in runs:
        for name, lat in (("real handlers", r.real), ("bare echo", r.echo),
                          ("echo + 1 DB write", r.echo_db)):
            rows.append((r.db, name, len(lat), f"{len(lat) / (sum(lat) / 1000):.0f}",
                         f"{c.median(lat):.2f}", f"{c.percentile(lat, 99):.2f}", f"{max(lat):.1f}"))
        if r.during:
            rows.append((r.db, f"real, during dispatch ({r.dispatch_sent} sent in {r.dispatch_s:.1f} s)",
                         len(r.during), f"{len(r.during) / (sum(r.during) / 1000):.0f}",
                         f"{c.median(r.during):.2f}", f"{c.percentile(r.during, 99):.2f}",
                         f"{max(r.during):.1f}"))
    print(c.table("Application.process_update, sequential (updates/s = count / time inside process_update)",
                  ("db", "handlers", "updates", "updates/s", "p50 ms", "p99 ms", "max ms"), rows))
    print("  'during dispatch': Done presses while one dispatch_due claims and sends 500 other users' "
          "reminders\n  (not part of the target mix; shows what a popular reminder minute does to taps)")
    for r in runs:
        print()
        rows = []
        for kind, lat in [*r.by_kind.items(), ("all", r.real)]:
            totals = [sum(v[i] for v in list(r.cost.values())) for i in range(5)]
            cost = r.cost[kind] if kind != "all" else totals
            n, mean = len(lat), sum(lat) / len(lat)
            sql_ms, commit_ms, api_ms = (cost[i] * 1000 / n for i in (2, 3, 4))
            rows.append((kind, n, f"{c.median(lat):.2f}", f"{c.percentile(lat, 99):.2f}", f"{mean:.2f}",
                         f"{cost[0] / n:.1f}", f"{sql_ms:.2f}", f"{commit_ms:.2f}", f"{cost[1] / n:.1f}",
                         f"{api_ms:.2f}", f"{mean - sql_ms - commit_ms - api_ms:.2f}"))
        print(c.table(f"by update kind ({r.db}): where the mean goes (SQL = statements incl. BEGIN; "
                      "API = Bot API calls incl. PTB request/response handling)",
                      ("kind", "count", "p50 ms", "p99 ms", "mean ms", "SQL n", "SQL ms", "commit ms",
                       "API n", "API ms", "rest ms"), rows))
    print()
    for r in runs:
        mean_ratio = (sum(r.real) / len(r.real)) / (sum(r.echo) / len(r.echo))
        p50_ratio = c.median(r.real) / c.median(r.echo)
        db_ratio = (sum(r.real) / len(r.real)) / (sum(r.echo_db) / len(r.echo_db))
        p99 = c.percentile(r.real, 99)
        verdicts = [f"ratio {'met' if mean_ratio < RATIO_TARGET else 'MISSED'}"]
        if r.db == "sqlite":
            verdicts.insert(0, f"p99 {'met' if p99 < P99_TARGET_MS else 'MISSED'}")
        print(f"  {r.db}: real / echo = {mean_ratio:.2f}x by mean, {p50_ratio:.2f}x by p50; "
              f"p99 {p99:.1f} ms  [targets: p99 < {P99_TARGET_MS:.0f} ms (SQLite), ratio < "
              f"{RATIO_TARGET:.0f}x: {', '.join(verdicts)}]")
        print(f"    real / (echo + 1 DB write) = {db_ratio:.2f}x by mean")
        print(f"    sessions finished {r.completed} of {r.expected} expected; handler errors: "
              f"{len(r.errors)}{' e.g. ' + r.errors[0] if r.errors else ''}")
    print(f"\n  gc enabled: {gc.isenabled()}; {c.load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 users, 1 day (~700 updates)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--days", type=int, default=0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
