"""Databases and due users for the reminder benchmarks (bench_reminders, bench_claim).

Each benchmark gets its own PostgreSQL database (`bench_reminders_<suffix>`), so benchmarks
running at the same time on the shared server never drop each other's data. Users are
written in bulk (COPY on PostgreSQL, one executemany on SQLite) with the same column text
the ORM would store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from bench import _common as c

PG_PREFIX = "bench_reminders"
ALL_DAYS = 0b1111111


def pg_database(suffix: str) -> AbstractAsyncContextManager[str]:
    """A fresh, migrated PostgreSQL database of our own, dropped afterwards; yields the URL."""
    return c.pg_database(f"{PG_PREFIX}_{suffix}")


def due_user_rows(first_id: int, count: int, due_at: datetime) -> Iterable[tuple[Any, ...]]:
    """Onboarded users (UTC, every day a practice day, habit phase) all due at `due_at`;
    telegram_id = chat_id = c.TELEGRAM_ID_BASE + id. Rows in c.USER_COLUMNS order."""
    created = due_at - timedelta(days=200)
    started = due_at.date() - timedelta(days=5)  # habit phase, day 6 of 21: no phase change today
    at = due_at.time().replace(second=0, microsecond=0)
    for uid in range(first_id, first_id + count):
        tid = c.TELEGRAM_ID_BASE + uid
        yield (
            uid, tid, tid, f"User{uid}", "UTC", at, ALL_DAYS, "habit", started, None, "done", 0, "clear",
            created, created, created, None, False, False, 4, due_at, "daily", created, created,
        )


async def insert_rows(url: str, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Bulk insert (COPY / executemany), then fix the id sequence and refresh statistics."""
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(c.pg_dsn(url.rsplit("/", 1)[1]), timeout=10)
        try:
            await conn.copy_records_to_table(
                table, records=[tuple(c._naive(v) for v in r) for r in rows], columns=list(columns)
            )
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))")
            await conn.execute(f"ANALYZE {table}")
        finally:
            await conn.close()
    else:
        lite = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
        try:
            marks = ", ".join("?" for _ in columns)
            lite.execute("BEGIN")
            lite.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                             [tuple(c._sqlite_value(v) for v in r) for r in rows])
            lite.execute("COMMIT")
            lite.execute("ANALYZE")
        finally:
            lite.close()


async def add_due_users(url: str, first_id: int, count: int, due_at: datetime) -> None:
    await insert_rows(url, "users", c.USER_COLUMNS, due_user_rows(first_id, count, due_at))
