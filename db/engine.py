"""The one place that opens database sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine that survives a dropped connection (pre-ping) and, on SQLite,
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
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer and every transaction here writes (BEGIN IMMEDIATE): queue them
        # in the event loop, woken at once, rather than in SQLite's busy handler, which sleeps
        # 1, 2, 5 ... 100 ms between tries (with 32 users tapping, most of the tail latency).
        self._writer: asyncio.Lock | None = None if self.is_postgres else asyncio.Lock()

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
