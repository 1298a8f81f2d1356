"""The one place that opens database sessions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine that survives a dropped connection (see `ping_when_idle`) and, on SQLite,
    takes the write lock up front so two concurrent updates queue instead of failing."""
    if url.startswith("sqlite"):
        from db.onetrip import WAL_AUTOCHECKPOINT

        # Not bound to aiosqlite's thread: short statements run on the event loop (db/onetrip.py).
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        if url.startswith("sqlite+aiosqlite"):
            from db.onetrip import dbapi

            kwargs.setdefault("module", dbapi())  # one thread hand-off per statement (see there)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL this cannot corrupt the file; a power cut may lose the last commits,
            # an application crash loses nothing. Halves the cost of each commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    from db.models import add_postgresql_options

    add_postgresql_options()
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # The connection used last is used next: under load it is never idle long enough to
    # need a ping (below), and the ones beyond the load go idle and are recycled.
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_async_engine(url, **kwargs)
    if kwargs.get("pool_pre_ping") is None:
        ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use (HikariCP's "alive bypass window"
# is the same idea). SQLAlchemy's pre-ping asks on every checkout, three round trips with
# asyncpg (BEGIN, a query, ROLLBACK): on a tap's path, two or three checkouts cost more than
# all of its SQL but the claim. A connection that died within the window (the server
# restarted a moment ago) fails its first statement instead: the error invalidates the
# whole pool, and every caller runs again (`again_if_lost`: the inbox store, the reminder
# claim, the sender's bookkeeping; the worker's own retries; the next tick of a chore).
PING_IDLE_SECONDS = 1.0


def ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(_dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            # One round trip, outside any transaction (runs in SQLAlchemy's greenlet).
            await_(proxy.driver_connection.execute("SELECT 1"))
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def connection_lost(exc: BaseException) -> bool:
    """The connection died under a transaction (a pooled one found dead on first use, see
    `ping_when_idle`): the server rolled the transaction back, and the pool now hands out
    fresh connections. An idempotent transaction is simply run again."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def again_if_lost(work: Callable[[], Awaitable[T]]) -> T:
    """Run an idempotent transaction; if its connection was lost, once more at once."""
    try:
        return await work()
    except Exception as exc:
        if not connection_lost(exc):
            raise
    return await work()


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer and every transaction here writes (BEGIN IMMEDIATE): queue them
        # in the event loop, woken at once, rather than in SQLite's busy handler, which sleeps
        # 1, 2, 5 ... 100 ms between tries (with 32 users tapping, most of the tail latency).
        self._writer: asyncio.Lock | None = None if self.is_postgres else asyncio.Lock()
        # PostgreSQL: a single statement commits by itself, without the BEGIN and COMMIT
        # round trips of a transaction around it (the inbox's store, on every update).
        self._autocommit = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.is_postgres else None
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        if self._writer is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def one_statement(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for a single write that commits on its own (PostgreSQL:
        autocommit; each statement run on it commits by itself). No ORM session: on a hot
        path (every update is stored through this) its set-up and close cost ~200 us more."""
        if self._autocommit is None:
            assert self._writer is not None  # SQLite
            async with self._writer, self.engine.begin() as conn:
                yield conn
            return
        async with self._autocommit.connect() as conn:
            yield conn

    async def checkpoint(self) -> tuple[int, int] | None:
        """SQLite: copy the WAL into the database file, without waiting for readers or
        writers (PASSIVE), in aiosqlite's thread; the event loop and writers go on meanwhile.
        Returns (pages in the WAL, pages checkpointed); None on PostgreSQL (its own
        checkpointer does this)."""
        if self.is_postgres:
            return None
        async with self.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            async with raw.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                row = await cursor.fetchone()
        if row is None:
            return None
        _busy, in_wal, done = row
        return int(in_wal), int(done)

    async def dispose(self) -> None:
        await self.engine.dispose()
