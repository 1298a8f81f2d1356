"""One update at a time per user, across every bot process; different users in parallel.

Handlers reply before their transaction commits, so without this a quick tap could reach
another process (or another task of this one) before the state it acts on is visible,
and be refused as stale. Serialising each user's updates closes that window: inside a
process with an asyncio lock per user, across processes with a PostgreSQL advisory lock
keyed on the Telegram user id (SQLite serves one process, so the local lock is enough).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import text
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from db.engine import Database

log = logging.getLogger(__name__)
# PTB's own semaphore sits outside the per-user wait; it only bounds queued updates.
QUEUE_LIMIT = 1024


def user_key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return update.effective_user.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, db: Database) -> None:
        super().__init__(QUEUE_LIMIT)
        self._db = db
        self.parallel_limit = max_concurrent_updates
        self._work = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = user_key(update)
        if key is None:
            async with self._work:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._work:
                if self._db.is_postgres:
                    await self._with_advisory_lock(key, coroutine)
                else:
                    await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _with_advisory_lock(self, key: int, coroutine: Awaitable[Any]) -> None:
        try:
            conn = await self._db.engine.connect()
        except Exception:
            # The database is away: let the handler run and report the failure to the user.
            log.warning("no connection for the per-user lock; processing without it")
            await coroutine
            return
        try:
            try:
                await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                await conn.commit()
            except Exception:
                log.warning("per-user lock not taken; processing without it")
                await coroutine
                return
            try:
                await coroutine
            finally:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await conn.commit()
                except Exception:
                    # Closing the server session is what releases the lock for sure.
                    log.debug("advisory unlock failed; dropping the connection instead")
                    await conn.invalidate()
        finally:
            await conn.close()

    async def initialize(self) -> None:
        """Nothing to set up: locks are created on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: every lock is scoped to one update."""
