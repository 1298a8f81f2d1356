"""Which message is a session's live card: read in the transaction that decided the card
where several processes share the database, so the sender needs no transaction of its own
before it edits; a write this process made after that read is never undone by it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bot.pipeline import slots as slots_module
from bot.pipeline.slots import HINT_SECONDS, SlotEntry, SlotStore
from db.engine import Database
from db.short import SHORT
from tests.harness import Harness, running_bot
from tests.invariants import assert_chat_matches
from tgemu import TelegramUser

CHAT, SLOT = 1001, "session:7"


async def book(db: Database, store: SlotStore) -> None:
    """What the sender's bookkeeping does with the slots it learned."""
    async with db.session() as s:
        await store.write(s, store.pending())


@contextmanager
def no_transactions(db: Database) -> Iterator[None]:
    real = db.session

    @asynccontextmanager
    async def refused() -> AsyncIterator[Any]:
        raise AssertionError("the sender opened a transaction of its own")
        yield

    db.session = refused  # type: ignore[method-assign]
    try:
        yield
    finally:
        db.session = real  # type: ignore[method-assign]


async def test_a_slot_read_with_the_decision_is_used_without_a_transaction(db: Database) -> None:
    first = SlotStore(db, shared=True)
    first.put(CHAT, SLOT, SlotEntry(41, "text", None))
    await book(db, first)

    other = SlotStore(db, shared=True)  # another process
    async with db.session() as s:
        await other.prefetch(s, [(CHAT, SLOT), (CHAT, "session:8")])
    with no_transactions(db):
        assert await other.get(CHAT, SLOT) == SlotEntry(41, "text", None)
        assert await other.get(CHAT, "session:8") is None
    # Used once: the next edit asks the table again (another process may have moved on).
    assert await other.get(CHAT, SLOT) == SlotEntry(41, "text", None)


async def test_a_write_after_the_read_wins_over_it(db: Database) -> None:
    store = SlotStore(db, shared=True)
    store.put(CHAT, SLOT, SlotEntry(41, "text", None))
    await book(db, store)
    async with db.session() as s:
        await store.prefetch(s, [(CHAT, SLOT)])  # reads 41
    # Meanwhile this process sent the card anew and booked it.
    store.put(CHAT, SLOT, SlotEntry(42, "text", None))
    await book(db, store)
    assert await store.get(CHAT, SLOT) == SlotEntry(42, "text", None)


async def test_an_old_read_is_not_trusted(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that waited long (another process may have moved the card since) is replaced
    by a fresh one."""
    store = SlotStore(db, shared=True)
    store.put(CHAT, SLOT, SlotEntry(41, "text", None))
    await book(db, store)
    async with db.session() as s:
        await store.prefetch(s, [(CHAT, SLOT)])
    other = SlotStore(db, shared=True)  # another process sends the card anew
    other.put(CHAT, SLOT, SlotEntry(43, "text", None))
    await book(db, other)
    later = time.monotonic() + HINT_SECONDS + 1
    monkeypatch.setattr(slots_module.time, "monotonic", lambda: later)
    assert await store.get(CHAT, SLOT) == SlotEntry(43, "text", None)


async def test_a_write_not_yet_booked_wins_over_the_read(db: Database) -> None:
    store = SlotStore(db, shared=True)
    store.put(CHAT, SLOT, SlotEntry(41, "text", None))
    await book(db, store)
    store.forget(CHAT, SLOT)  # retired, not booked yet
    async with db.session() as s:
        await store.prefetch(s, [(CHAT, SLOT)])
    with no_transactions(db):
        assert await store.get(CHAT, SLOT) is None


async def _at_the_first_step_with_shared_slots(h: Harness) -> TelegramUser:
    """Slots shared as on PostgreSQL (forced on SQLite too); a user at a session's first step."""
    slots = h.runtime.sender.slots
    slots.shared = True
    h.runtime.worker.slots = slots
    alex = h.user()
    await h.onboard(alex)
    await h.press(alex, "▶️ Start now")
    await h.press(alex, "3")
    return alex


def _claims(sql: str) -> bool:
    """An update's claim: of its stored row, or storing a fetched one as done."""
    return sql.startswith(("UPDATE inbox", "INSERT INTO inbox"))


async def test_a_tap_reads_its_card_in_its_own_transaction(db: Database) -> None:
    """The full path with shared slots (as on PostgreSQL, forced on SQLite too): every read
    of `chat_slots` while people tap runs inside an update's transaction, none alone."""
    transactions: dict[int, list[str]] = defaultdict(list)
    alone: list[list[str]] = []

    def statement(conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        transactions[id(conn.connection.dbapi_connection)].append(sql.replace(f"{SHORT} ", ""))

    def commit(conn: Any) -> None:
        done = transactions.pop(id(conn.connection.dbapi_connection), [])
        if any("FROM chat_slots" in sql for sql in done) and not any(_claims(sql) for sql in done):
            alone.append(done)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        async with running_bot(db) as h:
            alex = await _at_the_first_step_with_shared_slots(h)
            reads_before = len(alone)
            for _ in range(3):
                await h.press(alex, "✅ Done")
            await assert_chat_matches(db, alex)
            assert h.errors == []
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert alone[reads_before:] == []


async def test_a_quick_tap_returns_its_card_with_the_move(db: Database) -> None:
    """Done on a step: the session's UPDATE returns the live card too, so no statement reads
    `chat_slots` (neither the update's transaction nor the sender), and the chat shows what
    the database holds."""
    selects: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.replace(f"{SHORT} ", "").startswith("SELECT chat_slots"):
            selects.append(sql)

    engine = db.engine.sync_engine
    async with running_bot(db) as h:
        alex = await _at_the_first_step_with_shared_slots(h)
        event.listen(engine, "before_cursor_execute", statement)
        try:
            for _ in range(3):
                await h.press(alex, "✅ Done")
        finally:
            event.remove(engine, "before_cursor_execute", statement)
        await assert_chat_matches(db, alex)
        assert h.errors == []
    assert selects == []


async def test_a_card_the_flow_read_is_used_unless_written_since(db: Database) -> None:
    store = SlotStore(db, shared=True)
    read = SlotEntry(41, "text", None)
    mark = store.mark()
    async with db.session() as s:
        await store.prefetch(s, [(CHAT, SLOT)], known={(CHAT, SLOT): read}, known_at=mark)
    with no_transactions(db):
        assert await store.get(CHAT, SLOT) == SlotEntry(41, "text", None)

    mark = store.mark()
    store.put(CHAT, SLOT, SlotEntry(42, "text", None))  # the card was sent anew meanwhile
    await book(db, store)
    async with db.session() as s:
        await store.prefetch(s, [(CHAT, SLOT)], known={(CHAT, SLOT): read}, known_at=mark)
    assert await store.get(CHAT, SLOT) == SlotEntry(42, "text", None)
