"""Two bot processes in one test: each its own Runtime (worker, in-process locks, sender,
engine), sharing the database and the emulated Telegram, as two replicas behind one webhook.
Only the database can keep their updates apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from telegram import Update

from db.engine import Database
from tests.harness import Harness, running_bot


@asynccontextmanager
async def second_process(h: Harness) -> AsyncIterator[Harness]:
    other_db = Database(h.db.url)
    try:
        async with running_bot(other_db, fake=h.fake) as other:
            other.now = h.now
            other._offset = h._offset
            yield other
    finally:
        await other_db.dispose()


async def fetch(h: Harness, *others: Harness) -> tuple[Update, ...]:
    """The waiting updates, fetched and stored in the inbox (as webhook intake stores them)
    so either process can take them; polling would leave each to its own worker to store."""
    updates = await h.runtime.bot.get_updates(offset=h._offset, timeout=0)
    await h.runtime.store_updates(updates)
    if updates:
        h._offset = updates[-1].update_id + 1
        for other in others:
            other._offset = h._offset
    return updates


async def handle_at_once(pairs: Sequence[tuple[Harness, Update]]) -> None:
    """Each (process, update) handled concurrently; then every sender drained."""
    await asyncio.gather(*(h.runtime.worker.handle(update) for h, update in pairs))
    for h in {id(h): h for h, _ in pairs}.values():
        await h.runtime.sender.drain()


async def together(h: Harness, other: Harness) -> None:
    """Store the waiting updates, then hand them out alternately to the two processes at once."""
    updates = await fetch(h, other)
    assert len(updates) >= 2
    await handle_at_once([((h, other)[i % 2], u) for i, u in enumerate(updates)])
    await h.runtime.sender.drain()
    await other.runtime.sender.drain()
