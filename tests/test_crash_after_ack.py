"""Issue 13's crash test: nothing Telegram counts as delivered is lost when the bot dies.

300 people send /start to `python -m bot` (over HTTP, against the emulator). The moment
Telegram counts the last of the 300 updates as delivered (polling: the bot's next
getUpdates offset passed it; webhook: the bot answered 200), the process gets SIGKILL.
Telegram will never send those updates again. Telegram is also stalled for the bot's
messages (`hold_calls`: a sendMessage waits, not performed), so at the kill nobody has
been answered: every update is either still unhandled in the inbox, or handled with its
reply waiting in the outbox. The test checks that this precondition really held, then
restarts the bot on the same database and checks that all 300 get exactly one welcome
and the inbox holds each update once, all done.

Exactly once here rests on the stall: delivery is at least once, and a kill between
Telegram accepting a message and the bot booking it would send that message again.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.pipeline.outbox import LEASE
from db.engine import Database
from db.models import InboxUpdate, OutboxEffect, User
from tests.botproc import (
    BotProcess,
    emulator,
    free_port,
    start_bot,
    start_webhook_bot,
    wait_until_polling,
    wait_until_serving,
)
from tgemu import FakeTelegram, TelegramUser

USERS = 300
FIRST_ID = 810_001
PEOPLE = range(FIRST_ID, FIRST_ID + USERS)
WELCOME = "7 gentle stretches"
# Sends the bot makes to welcome someone; held while the first process runs.
SENDING = ("sendMessage", "sendAnimation", "sendPhoto", "sendDocument", "editMessageText")
WAIT = 60.0  # all 300 answered after the restart, on a slow machine
# A restart on the same database as the process that died, but fast to drain the outbox.
ENV = {"SEND_RATE_PER_SECOND": "300", "LOG_LEVEL": "INFO"}


@dataclass
class AtKill:
    """What the emulator showed the instant the last update was acknowledged."""

    acknowledged: int = 0
    answered: int = 0
    held: int = 0


@dataclass
class Stored:
    """The 300 updates as the database holds them, by person."""

    stored: int
    pending: set[int]  # people whose /start is still unhandled in the inbox
    done: set[int]
    failed: int
    replies: set[int]  # people with a reply waiting in the outbox


async def read_store(url: str, update_ids: set[int]) -> Stored:
    db = Database(url)
    try:
        async with db.session() as s:
            rows = (
                await s.execute(
                    select(InboxUpdate.user_key, InboxUpdate.done_at, InboxUpdate.error).where(
                        InboxUpdate.update_id.in_(update_ids)
                    )
                )
            ).all()
            replies = set((await s.execute(select(OutboxEffect.chat_id))).scalars())
        return Stored(
            stored=len(rows),
            pending={key for key, done, _ in rows if done is None},
            done={key for key, done, _ in rows if done is not None},
            failed=sum(error is not None for *_, error in rows),
            replies=replies,
        )
    finally:
        await db.dispose()


async def count_users(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as s:
            query = select(func.count()).select_from(User).where(User.telegram_id >= FIRST_ID)
            return int(await s.scalar(query) or 0)
    finally:
        await db.dispose()


def welcomes(user: TelegramUser) -> list[str]:
    return [m.text or "" for m in user.bot_messages()]


def kill_when_all_acknowledged(fake: FakeTelegram, bot: BotProcess, ids: set[int], seen: AtKill) -> None:
    """SIGKILL inside the request that acknowledges the last of `ids`, before it returns."""

    def hook(_: list[int]) -> None:
        if bot.running and ids <= fake.acknowledged:
            bot.process.kill()
            seen.acknowledged = len(ids & fake.acknowledged)
            seen.answered = sum(bool(fake.users[uid].bot_messages()) for uid in PEOPLE)
            seen.held = fake.held_calls

    fake.on_acknowledged(hook)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database the bot migrates itself: a SQLite file, or (when TEST_DATABASE_URL
    is set) an empty PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    return str(request.getfixturevalue("scratch_url"))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_300_acknowledged_updates_survive_sigkill(database: str, mode: str, tmp_path: Path) -> None:
    postgres = database.startswith("postgresql")
    async with emulator() as (fake, base_url):
        people = [fake.user(uid, f"P{uid}") for uid in PEOPLE]
        port = free_port()

        async def start(name: str, **env: str) -> BotProcess:
            if mode == "webhook":
                bot = await start_webhook_bot(base_url, database, tmp_path, port, name=name, **ENV, **env)
                await wait_until_serving(bot, port)
            else:
                fake.calls.clear()  # wait_until_polling looks for this run's calls
                bot = await start_bot(base_url, database, tmp_path, name=name, **ENV, **env)
                await wait_until_polling(fake)
            return bot

        # Slowed: one update at a time, and Telegram stalls every message it is asked to send.
        first = await start("first", CONCURRENT_UPDATES="1")
        try:
            fake.hold_calls(*SENDING)
            seen = AtKill()
            for person in people:
                person.send_command("/start")
            ids = {u["update_id"] for u in fake.pending_updates}
            assert len(ids) == USERS
            kill_when_all_acknowledged(fake, first, ids, seen)
            try:
                code = await asyncio.wait_for(first.process.wait(), WAIT)
            except TimeoutError:
                raise AssertionError(
                    f"only {len(ids & fake.acknowledged)} of {USERS} acknowledged in {WAIT}s:\n"
                    f"{first.log()[-3000:]}"
                ) from None
        finally:
            if first.running:
                await first.stop(signal.SIGKILL, 5)
        assert code == -signal.SIGKILL, f"the first process ended with {code}:\n{first.log()[-3000:]}"
        fake.release_calls()  # the held sends died with their connections

        # The precondition: all 300 acknowledged, none answered, so Telegram will not send
        # them again and nothing the user saw came from the first process.
        assert seen.acknowledged == USERS
        assert ids <= fake.acknowledged and not ids & {u["update_id"] for u in fake.pending_updates}
        assert seen.answered == 0 and all(welcomes(p) == [] for p in people)
        at_kill = await read_store(database, ids)
        assert at_kill.stored == USERS, at_kill  # stored before acknowledged, every one
        # Not yet handled: each /start is either still unclaimed in the inbox, or decided with
        # its reply waiting in the outbox (never both, never neither).
        assert at_kill.pending | at_kill.replies == set(PEOPLE), at_kill
        assert not at_kill.pending & at_kill.replies and at_kill.done == at_kill.replies, at_kill
        if mode == "polling":
            # The last batch (up to 100) was stored in one transaction just before the
            # getUpdates that acknowledged it, so the worker cannot have finished it.
            assert at_kill.pending, f"the worker finished everything before the kill: {at_kill}"

        # On PostgreSQL an outbox row is another process's until its lease ends, so the
        # restart comes after it (its clock moved on); on SQLite it is the only process.
        clock = str(LEASE.total_seconds() + 60) if postgres else "0"
        second = await start("second", CLOCK_OFFSET_SECONDS=clock)
        try:
            await fake.wait_for(
                lambda: all(p.bot_messages() for p in people), WAIT, "a reply to each of the 300 people"
            )
            await fake.settle(quiet=0.5, timeout=WAIT)
            after = await read_store(database, ids)
            users = await count_users(database)
        finally:
            code = await second.stop(signal.SIGTERM)
        log = second.log()
        assert code == 0, log[-3000:]

    duplicates = {p.user_id: welcomes(p) for p in people if len(welcomes(p)) != 1}
    assert not duplicates, f"{len(duplicates)} without exactly one reply: {list(duplicates.items())[:3]}"
    assert all(WELCOME in welcomes(p)[0] for p in people)
    assert (after.stored, after.pending, after.done, after.failed, after.replies) == (
        USERS,
        set(),
        set(PEOPLE),
        0,
        set(),
    ), after
    assert users == USERS
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    where = "PostgreSQL" if postgres else "SQLite"
    print(
        f"\n{mode} on {where}: at the kill {seen.acknowledged} acknowledged, {seen.answered} answered, "
        f"{seen.held} sends held; {len(at_kill.pending)} unhandled in the inbox, "
        f"{len(at_kill.done)} handled with the reply in the outbox"
    )
