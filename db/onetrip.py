"""SQLite through aiosqlite with one trip to its thread per statement.

SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes it as three or
four separate trips to aiosqlite's thread. Each trip is a queue put, a thread wake-up and
two GIL hand-overs: on a busy two-core machine that cost more than the statement itself
(a step tap made ~50 trips). This cursor does the whole statement in one trip, a BEGIN
goes with the transaction's first statement, and a commit or rollback with nothing to end
makes none. The driver, the dialect, types and errors are SQLAlchemy's own. It leans on
two aiosqlite internals, `Connection._execute` and `Connection._conn`, which SQLAlchemy's
adapter itself uses too.

A statement marked short (db/short.py: a handful of rows found by key, on a tap's hot path)
makes no trip at all: it runs on the event loop's own thread, where its SQLite work (~80 us)
costs less than the two thread wake-ups of a trip (~180 us measured in bench_taps). It must
never wait there, so it runs only inside a transaction holding the write lock; when it opens
the transaction, its BEGIN IMMEDIATE is tried with no busy timeout, and if another process
holds the lock the whole trip goes to the thread, where it waits as usual. A transaction of
short statements only commits on the event loop too (a few pages appended to the WAL, no
fsync); the WAL checkpoint that SQLite may run after a commit (file writes and an fsync)
never runs there: it is the background checkpoint's job (`Database.checkpoint`), with
commits in the thread as the backstop (every other transaction, and at least every 32nd).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from db.short import is_short

# SQLite checkpoints its WAL (copies it into the database file and syncs that) inside the
# commit that leaves this many pages in it; db/engine.py sets this on every connection. The
# bot checkpoints in the background instead (`Database.checkpoint`, every second, from
# bot/app.py): a 500-reminder claim writes ~1,000 pages at 100k users and paid for the
# checkpoint in its own commit. This stays as the backstop for a process that does not
# checkpoint (a one-off command, tests).
WAL_AUTOCHECKPOINT = 10_000

# Commits on the event loop in a row, at most, before one goes to the thread (and may
# checkpoint there): they leave the WAL at most a few hundred pages over SQLite's threshold.
CHECKPOINT_EVERY = 32
_inline_commits = 0


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """Execute, fetch every row and close in the connection's thread at once."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: no trip
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing is open: the rows were fetched with the statement."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not parameters and isinstance(operation, str) and operation.startswith("BEGIN"):
            # Opening a transaction rides along with its first statement (one trip fewer).
            self._adapt_connection._begin = operation  # type: ignore[attr-defined]
            self._description, self._rowcount = None, -1
            return None
        try:
            return await_(self._trip(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._trip(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]

        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        begin, adapt._begin = adapt._begin, None

        def work() -> tuple[Any, list[Any], int, int | None]:
            cursor: sqlite3.Cursor = connection._conn.cursor()
            try:
                if begin is not None:
                    cursor.execute(begin)
                if many:
                    cursor.executemany(operation, parameters)
                elif parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                description = cursor.description
                rows = cursor.fetchall() if description else []
                return description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        quick = is_short(operation)
        adapt._long = (adapt._long and begin is None) or not quick
        if quick and not adapt._execute_mutex.locked() and adapt._write_locked(begin):
            # The transaction holds the write lock: nothing to wait for, run it here.
            begin = None
            description, rows, rowcount, lastrowid = work()
        else:
            async with adapt._execute_mutex:
                description, rows, rowcount, lastrowid = await connection._execute(work)
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also no trip for a commit or rollback with nothing to end (the pool's rollback after
    every commit, or a transaction that never ran a statement)."""

    __slots__ = ("_begin", "_busy_ms", "_long")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None  # a BEGIN waiting for the transaction's first statement
        self._busy_ms: int | None = None
        self._long = False  # whether the open transaction ran a statement not marked short

    def _write_locked(self, begin: str | None) -> bool:
        """Whether the open transaction holds SQLite's write lock, taking it first when
        `begin` is BEGIN IMMEDIATE and no other process holds it (else: False at once, and
        the BEGIN goes to the thread, where it may wait its busy timeout)."""
        raw: sqlite3.Connection = self._connection._conn
        if begin is None:
            return raw.in_transaction  # our transactions all begin IMMEDIATE (db/engine.py)
        if begin.upper() != "BEGIN IMMEDIATE":
            return False
        if self._busy_ms is None:
            self._busy_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        raw.execute("PRAGMA busy_timeout=0")
        try:
            raw.execute(begin)
        except sqlite3.OperationalError:
            return False  # locked by another process
        finally:
            raw.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        return True

    def _open(self) -> bool:
        """Whether a transaction is open in SQLite (readable from any thread)."""
        if self._begin is not None:
            self._begin = None  # never ran: nothing to end
            return False
        inner = self._connection
        return inner._connection is not None and inner._conn.in_transaction

    def rollback(self) -> None:
        if self._open():
            super().rollback()

    def commit(self) -> None:
        if not self._open():
            return
        global _inline_commits
        if self._long or _inline_commits >= CHECKPOINT_EVERY:
            _inline_commits = 0
            super().commit()
            return
        # Only short statements: a few pages appended to the WAL, no fsync (synchronous=NORMAL).
        # A checkpoint SQLite would run after this commit (it writes and syncs the database
        # file) is left to the background checkpoint, or to the next commit in the thread.
        _inline_commits += 1
        raw: sqlite3.Connection = self._connection._conn
        raw.execute("PRAGMA wal_autocheckpoint=0")
        try:
            raw.commit()
        except Exception as error:
            self._handle_exception(error)
        finally:
            raw.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")  # db/engine.py


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to create_async_engine for a `sqlite+aiosqlite` URL."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
