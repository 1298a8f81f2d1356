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
