"""A user's next tap waits for their previous update to commit, even when it arrives early."""

import asyncio

from db.engine import Database
from db.models import User
from tests.harness import running_bot


async def _feed_through_queue(h, count: int) -> None:  # type: ignore[no-untyped-def]
    """Hand pending updates to the running Application's queue (its update processor decides
    the order), as polling or a webhook would."""
    updates = await h.runtime.bot.get_updates(offset=h._offset, timeout=0)
    for update in updates[:count]:
        h._offset = update.update_id + 1
        await h.runtime.app.update_queue.put(update)


async def test_a_tap_during_the_previous_reply_waits_for_its_commit(db: Database) -> None:
    async with running_bot(db) as h:
        h.fake.response_delay = 0.3  # the message reaches the user before the bot hears back
        alex = h.user()
        alex.send_command("/start")
        await _feed_through_queue(h, 1)
        await h.fake.wait_for(lambda: any(m.buttons == ["Let's go"] for m in alex.bot_messages()), timeout=5)
        alex.press("Let's go")  # before /start's transaction has committed
        await _feed_through_queue(h, 1)
        await h.fake.wait_for(lambda: "not a doctor" in h.last_text(alex), timeout=10)
        await asyncio.sleep(0.5)
        assert not any("We haven't met" in t for t in h.texts(alex))
        assert await h.count(User) == 1
        user = await h.db_user(alex.user_id)
        assert user is not None and user.onboarding_step == "disclaimer"
        assert h.errors == []


async def _b_waits_for_a(postgres_url: str, key: int, *, stored: bool) -> None:
    """Process A claims update 1 with the user's lock and holds it; process B claims update 2
    (stored, or fetched and not stored yet) meanwhile. B must wait for A's commit, claim
    update 2 all the same (a second look), and hold the lock until its own commit."""
    from datetime import UTC, datetime

    from sqlalchemy import select, text

    from bot.pipeline import inbox
    from db.models import Base, InboxUpdate

    database = Database(postgres_url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    rows = [
        {"update_id": n, "user_key": key, "payload": "{}", "received_at": now, "attempts": 0} for n in (1, 2)
    ]
    try:
        async with database.one_statement() as conn:
            await inbox.store(conn, rows if stored else rows[:1])
        b_claimed: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        a_committed = asyncio.Event()

        async def process_b() -> None:
            async with database.session() as s:
                if stored:
                    got = await inbox.claim_locking(s, 2, key, now)
                else:
                    got = await inbox.claim_fresh(s, rows[1], now, locking=True)
                b_claimed.set_result((got, a_committed.is_set()))
                # Still holding the user's lock: another locking claim of this user waits.
                async with database.session() as other:
                    waited = await other.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
                assert waited is False

        async with database.session() as s:
            assert await inbox.claim_locking(s, 1, key, now) is not None
            b = asyncio.create_task(process_b())
            await asyncio.sleep(0.3)
            assert not b_claimed.done()  # waiting for A's lock
            a_committed.set()
        await b
        got, after_a = b_claimed.result()  # type: ignore[misc]
        assert got == now and after_a
        async with database.session() as s:
            done = await s.scalars(select(InboxUpdate.update_id).where(InboxUpdate.done_at.is_not(None)))
            assert sorted(done) == [1, 2]
    finally:
        await database.dispose()


async def test_a_claim_that_waited_for_the_users_lock_looks_again(postgres_url: str) -> None:
    """PostgreSQL: B's claim of update 2 waits for A's lock inside its own statement, whose
    snapshot still shows update 1 pending; once A commits, B claims update 2 all the same."""
    await _b_waits_for_a(postgres_url, 4242, stored=True)


async def test_a_fetched_update_that_waited_for_the_users_lock_is_stored_and_claimed(
    postgres_url: str,
) -> None:
    """The same race for an update polling fetched and nobody stored yet
    (`inbox.claim_fresh`): its statement sees update 1 pending and skips the lock; the claim
    then waits for A's lock, looks again, and stores update 2 as done."""
    await _b_waits_for_a(postgres_url, 4343, stored=False)
