"""Long polling's acknowledgement gate (bot/pipeline/intake.py), on both databases.

A fetched update is stored by the transaction that handles it (no commit of its own);
the next getUpdates, the call that tells Telegram the update arrived, goes out only once
everything fetched before it is in the inbox, stored by the gate itself if the worker has
not; and an update the worker had to leave unstored is not overtaken by a later one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from telegram.error import NetworkError

from bot.pipeline import inbox
from bot.pipeline import worker as worker_module
from db.engine import Database
from db.models import InboxUpdate
from tests.harness import Harness, running_bot
from tests.invariants import assert_invariants


@contextmanager
def counting(db: Database) -> Iterator[Counter[str]]:
    """Inbox inserts and commits on the bot's engine while the block runs."""
    seen: Counter[str] = Counter()

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("INSERT") and " INTO inbox " in sql:  # maybe marked short (db/short.py)
            seen["inbox inserts"] += 1

    def commit(_conn: Any) -> None:
        seen["commits"] += 1

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


async def _inbox(db: Database) -> dict[int, bool]:
    """Stored update ids and whether each is done."""
    async with db.session() as s:
        rows = await s.execute(select(InboxUpdate.update_id, InboxUpdate.done_at))
        return {uid: done is not None for uid, done in rows}


async def _fetch(h: Harness) -> list[Any]:
    updates = list(await h.runtime.bot.get_updates(offset=h._offset, timeout=0))
    if updates:
        h._offset = updates[-1].update_id + 1
    return updates


async def test_a_fetched_update_is_stored_by_the_transaction_that_handles_it(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        shown = len(alex.bot_messages())
        alex.send_command("/help")
        (update,) = await _fetch(h)
        assert update.update_id not in h.fake.acknowledged
        with counting(db) as handling:
            await h.runtime.worker.handle(update)
        # One transaction stored it, marked it done and decided the reply.
        assert handling == Counter({"inbox inserts": 1, "commits": 1})
        assert (await _inbox(db))[update.update_id] is True
        with counting(db) as confirming:
            assert await _fetch(h) == []
        assert update.update_id in h.fake.acknowledged
        assert confirming["inbox inserts"] == 0  # nothing left for the gate to store
        await h.runtime.sender.drain()
        assert len(alex.bot_messages()) == shown + 1  # the reply, once
        assert h.errors == []
        await assert_invariants(db)


async def test_nothing_is_confirmed_before_it_is_stored(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker has not run: the next getUpdates stores the update itself first, and
    while the database cannot take it, that getUpdates fails before reaching Telegram."""
    async with running_bot(db) as h:
        alex = h.user()
        alex.send_text("hello")
        (update,) = await _fetch(h)
        assert await _inbox(db) == {}  # in memory only, and unconfirmed

        real_store = inbox.store

        async def unavailable(*_: Any) -> None:
            raise OperationalError("INSERT INTO inbox", {}, Exception("database is restarting"))

        monkeypatch.setattr(inbox, "store", unavailable)
        with pytest.raises(NetworkError, match="could not store updates"):
            await h.runtime.bot.get_updates(offset=h._offset, timeout=0)
        assert update.update_id not in h.fake.acknowledged
        assert await _inbox(db) == {}

        monkeypatch.setattr(inbox, "store", real_store)
        assert await _fetch(h) == []
        assert update.update_id in h.fake.acknowledged
        assert await _inbox(db) == {update.update_id: False}  # stored, pending
        await h.runtime.worker.handle(update)  # the worker finds it stored
        await h.runtime.sender.drain()
        assert await _inbox(db) == {update.update_id: True}
        assert len(alex.bot_messages()) >= 1
        assert h.runtime.worker.stats.handled == 1 and h.runtime.worker.stats.duplicates == 0
        assert h.errors == []


async def test_an_update_left_unstored_is_not_overtaken_by_a_later_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails every try at the first of two updates of one person (the worker
    leaves it, unstored); when the second is handled, the first is stored and goes first."""
    async with running_bot(db) as h:
        alex, bob = h.user(), h.user(2002, "Bob")
        await h.onboard(alex)
        await h.onboard(bob)
        before = {p.user_id: len(p.bot_messages()) for p in (alex, bob)}
        for person in (bob, alex):  # what the two commands get in the right order (bob)
            person.send_command("/help")
            person.send_command("/progress")
        await h.pump()
        expected = [m.text for m in bob.bot_messages()[before[bob.user_id] :]]
        assert len(expected) >= 2

        alex.send_command("/help")
        alex.send_command("/progress")
        first, second = await _fetch(h)
        real_claim = inbox.claim_fresh

        async def failing_for_the_first(s: Any, row: dict[str, object], *args: Any, **kwargs: Any) -> Any:
            if row["update_id"] == first.update_id:
                raise OperationalError("INSERT INTO inbox", {}, Exception("connection reset"))
            return await real_claim(s, row, *args, **kwargs)

        monkeypatch.setattr(inbox, "claim_fresh", failing_for_the_first)
        monkeypatch.setattr(worker_module, "RETRY_DELAYS", (0.0,))
        await h.runtime.worker.handle(first)  # every attempt fails: left for later
        assert first.update_id not in await _inbox(db)
        monkeypatch.setattr(inbox, "claim_fresh", real_claim)
        await h.runtime.worker.handle(second)
        await h.runtime.sender.drain()
        got = [m.text for m in alex.bot_messages()[before[alex.user_id] + len(expected) :]]
        assert got == expected
        stored = await _inbox(db)
        assert stored[first.update_id] is True and stored[second.update_id] is True
        await h.runtime.worker.handle(first)  # its own turn, later: already done
        assert h.runtime.worker.stats.duplicates == 1
        assert h.errors == []
        await assert_invariants(db)
