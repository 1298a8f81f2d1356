"""SQLite through aiosqlite (db/onetrip.py): what goes to its thread, what runs on the event
loop, and that nothing waits for a lock on the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.app import Runtime
from config import load_settings
from db import onetrip
from db.engine import Database
from db.short import SHORT, is_short, short
from tests.harness import TOKEN
from tgemu import EmulatorRequest, FakeTelegram

META = MetaData()
ROWS = Table("rows", META, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'trips.sqlite3'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    yield db
    await db.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to aiosqlite's thread."""
    sent: list[str] = []
    real = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__qualname__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return sent


def test_the_mark_is_a_comment_at_the_start_of_the_statement() -> None:
    sql = str(short(update(ROWS).values(name="x")))
    assert sql.startswith(f"UPDATE {SHORT} rows SET")
    assert is_short(sql)
    assert not is_short(str(update(ROWS).values(name="x")))
    assert not is_short(f"SELECT 1 -- a comment far later in a long statement ... {SHORT}")


async def test_a_short_statement_inside_a_transaction_makes_no_trip(
    lite: Database, trips: list[str]
) -> None:
    """The first statement takes BEGIN IMMEDIATE along to the thread; the short one after it
    runs on the event loop's thread; the commit goes to the thread."""
    seen: list[int] = []
    async with lite.session() as s:
        await s.execute(insert(ROWS).values(id=1, name="first"))
        before = len(trips)
        conn = await s.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        raw._conn.create_function("here", 0, lambda: seen.append(threading.get_ident()) or 1)
        await s.execute(short(update(ROWS).where(ROWS.c.id == 1).values(name="second")))
        await s.execute(short(insert(ROWS).values(id=2, name="here")).returning(ROWS.c.id))
        await s.execute(short(update(ROWS).where(ROWS.c.id == 2, func.here() == 1).values(name="there")))
        assert len(trips) == before
    assert seen == [threading.get_ident()]
    assert trips[-1].endswith("commit")  # the first statement was not short
    async with lite.session() as s:
        assert (await s.execute(select(ROWS.c.id, ROWS.c.name).order_by(ROWS.c.id))).all() == [
            (1, "second"),
            (2, "there"),
        ]


async def test_a_short_statement_opening_the_transaction_takes_the_free_write_lock_here(
    lite: Database, trips: list[str]
) -> None:
    async with lite.session() as s:
        await s.execute(short(insert(ROWS).values(id=1, name="one")))
        assert trips == []
        conn = await s.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None and raw._conn.in_transaction
    assert trips == []  # only short statements: the commit, too, ran here
    async with lite.session() as s:
        assert (await s.execute(select(ROWS.c.name))).scalars().all() == ["one"]


async def test_a_write_lock_held_by_another_process_is_waited_for_in_the_thread(
    lite: Database, trips: list[str], tmp_path: Path
) -> None:
    """Never on the event loop: while the other connection holds the lock, the loop keeps
    running other tasks; the statement goes through once the lock is released."""
    other = sqlite3.connect(tmp_path / "trips.sqlite3", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    ticker = asyncio.create_task(ticking())
    releaser = asyncio.create_task(release_later())
    try:
        async with lite.session() as s:
            await s.execute(short(insert(ROWS).values(id=1, name="after the wait")))
        await releaser
    finally:
        ticker.cancel()
        other.close()
    assert ticks >= 10, ticks  # the loop was not blocked during the 0.3 s wait
    assert [name for name in trips if not name.endswith("commit")] != []
    async with lite.session() as s:
        assert (await s.execute(select(ROWS.c.name))).scalars().all() == ["after the wait"]


async def test_a_short_statement_rolls_back_with_its_transaction_and_raises_as_usual(
    lite: Database, trips: list[str]
) -> None:
    async with lite.session() as s:
        await s.execute(insert(ROWS).values(id=1, name="taken"))
    with pytest.raises(IntegrityError):
        async with lite.session() as s:
            await s.execute(insert(ROWS).values(id=2, name="kept only if all went well"))
            await s.execute(short(insert(ROWS).values(id=3, name="taken")))
    with pytest.raises(RuntimeError):
        async with lite.session() as s:
            await s.execute(insert(ROWS).values(id=4, name="four"))
            await s.execute(short(update(ROWS).where(ROWS.c.id == 1).values(name="changed")))
            raise RuntimeError("a bug after the statement")
    async with lite.session() as s:
        assert (await s.execute(select(ROWS.c.id, ROWS.c.name))).all() == [(1, "taken")]


async def test_commits_on_the_event_loop_leave_the_wal_checkpoint_to_the_thread(
    lite: Database, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's automatic checkpoint (file writes and an fsync) never runs in an inline
    commit: every CHECKPOINT_EVERY-th commit of short transactions goes to the thread."""
    monkeypatch.setattr(onetrip, "_inline_commits", 0)
    for i in range(2 * onetrip.CHECKPOINT_EVERY + 2):
        async with lite.session() as s:
            await s.execute(short(insert(ROWS).values(id=i, name=f"row {i}")))
    assert trips == ["Connection.commit", "Connection.commit"]
    async with lite.session() as s:
        await s.execute(select(ROWS.c.id))  # not short: its commit goes to the thread
        conn = await s.connection()
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        setting = raw._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert setting == onetrip.WAL_AUTOCHECKPOINT  # restored after each inline commit
    assert len(trips) == 4  # the select's trip and its commit
    async with lite.session() as s:
        assert len((await s.execute(select(ROWS.c.id))).all()) == 2 * onetrip.CHECKPOINT_EVERY + 2


async def test_commits_leave_the_wal_to_the_background_checkpoint(lite: Database, tmp_path: Path) -> None:
    """A commit that passes SQLite's default 1,000 pages does not copy the WAL into the
    database file itself (that cost a 500-reminder claim ~25 ms); `Database.checkpoint`
    does, in aiosqlite's thread, and says how much it copied. In WAL mode the database file
    grows only when a checkpoint copies pages into it."""
    path = tmp_path / "trips.sqlite3"
    await lite.checkpoint()
    empty = path.stat().st_size
    async with lite.session() as s:
        await s.execute(insert(ROWS), [{"id": i, "name": "x" * 3000 + str(i)} for i in range(1500)])
    assert path.stat().st_size == empty  # no checkpoint in the commit
    in_wal, copied = await lite.checkpoint() or (0, 0)
    assert in_wal > 1000 and copied == in_wal
    assert path.stat().st_size > empty + 1000 * 4096
    assert await lite.checkpoint() == (in_wal, in_wal)  # nothing new: nothing more to copy
    async with lite.session() as s:
        assert (await s.scalar(select(func.count()).select_from(ROWS))) == 1500


async def test_postgresql_has_no_checkpoint_of_ours(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("PostgreSQL only: its own checkpointer copies the WAL")
    assert await db.checkpoint() is None


async def test_the_running_bot_checkpoints_sqlite_every_second(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runtime's job, not commits, keeps the WAL short; PostgreSQL needs no such job."""
    calls: list[float] = []
    real = db.checkpoint

    async def counted() -> tuple[int, int] | None:
        calls.append(asyncio.get_running_loop().time())
        return await real()

    monkeypatch.setattr(db, "checkpoint", counted)
    fake = FakeTelegram()
    config = load_settings(bot_token=TOKEN, database_url=db.url, _env_file=None)
    runtime = Runtime(config, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake))
    await runtime.start()
    try:
        jobs = runtime.app.job_queue.get_jobs_by_name("checkpoint")  # type: ignore[union-attr]
        if db.is_postgres:
            assert jobs == ()
            return
        assert len(jobs) == 1
        for _ in range(50):  # at most 5 s
            if len(calls) >= 2:
                break
            await asyncio.sleep(0.1)
        assert runtime.db_errors["housekeeping"] == 0
    finally:
        await runtime.stop()
        await fake.aclose()
    assert len(calls) >= 2 and 0.5 < calls[1] - calls[0] < 2.0


async def test_a_failing_checkpoint_is_counted_and_logged_and_the_next_one_runs(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Like every periodic chore: a database blip costs one run, never the job."""
    from sqlalchemy.exc import OperationalError

    outcomes = [OperationalError("PRAGMA wal_checkpoint", {}, Exception("database is locked")), None]

    async def flaky() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(db, "checkpoint", flaky)
    config = load_settings(bot_token=TOKEN, database_url=db.url, _env_file=None)
    fake = FakeTelegram()
    runtime = Runtime(config, db, request=EmulatorRequest(fake), jobs=False)
    try:
        with caplog.at_level("WARNING", logger="bot.app"):
            await runtime._checkpoint(None)
            await runtime._checkpoint(None)
    finally:
        await fake.aclose()
    assert outcomes == []
    assert runtime.db_errors["housekeeping"] == 1
    assert [r.getMessage() for r in caplog.records] == ["WAL checkpoint skipped: OperationalError"]
