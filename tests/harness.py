"""Drive the real bot runtime against the in-process Bot API emulator.

Updates are fetched with a real getUpdates call (which stores them in the inbox first,
as in production), handed to the worker one by one, and `pump()` returns once the sender
has delivered every effect: when it returns, the bot has finished and the chat shows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bot.app import Runtime
from bot.buttons import TimeButton
from config import load_settings
from db.engine import Database
from db.models import User
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

TOKEN = "123456789:TESTtokenTESTtokenTESTtokenTESTtoken1"


class Harness:
    def __init__(self, fake: FakeTelegram, runtime: Runtime, db: Database) -> None:
        self.fake = fake
        self.runtime = runtime
        self.db = db
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._offset = 0
        runtime.clock = lambda: self.now

    @property
    def errors(self) -> list[str]:
        """Updates the worker gave up on (a bug) and effects Telegram refused."""
        stats = self.runtime.worker.stats
        return ["update failed"] * stats.failed + ["send failed"] * self.runtime.sender.stats.failed

    def user(self, user_id: int = 1001, first_name: str = "Alex", language_code: str = "en") -> TelegramUser:
        return self.fake.user(user_id, first_name, language_code=language_code)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def pump(self) -> int:
        """Handle every update the emulator holds and deliver every effect; returns how many."""
        processed = 0
        while True:
            handled = await self.take_updates()
            processed += handled
            await self.runtime.sender.drain()
            if not handled:
                return processed

    async def take_updates(self) -> int:
        """Fetch and handle the updates the emulator holds, without waiting for delivery
        (the sender goes on in the background); returns how many."""
        updates = await self.runtime.bot.get_updates(offset=self._offset, timeout=0)
        for update in updates:
            self._offset = update.update_id + 1
            await self.runtime.worker.handle(update)
        return len(updates)

    async def process_raw(self, payload: dict[str, Any]) -> None:
        """An update that did not come through getUpdates (a forged or replayed one)."""
        update = Update.de_json(payload, self.runtime.bot)
        await self.runtime.store_updates([update])
        await self.runtime.worker.handle(update)
        await self.runtime.sender.drain()

    async def dispatch(self) -> None:
        """One reminder run at the harness clock, delivered."""
        await self.runtime.dispatcher.run_once()
        await self.runtime.sender.drain()

    async def press(self, user: TelegramUser, label: str, message_id: int | None = None) -> None:
        user.press(label, message_id)
        await self.pump()

    async def say(self, user: TelegramUser, text: str) -> None:
        if text.startswith("/"):
            command, _, args = text.partition(" ")
            user.send_command(command, args)
        else:
            user.send_text(text)
        await self.pump()

    async def db_user(self, telegram_id: int) -> User | None:
        async with self.db.session() as s:
            return (await s.execute(select(User).where(User.telegram_id == telegram_id))).scalar_one_or_none()

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def texts(self, user: TelegramUser) -> list[str]:
        return [m.text or "" for m in user.bot_messages()]

    def last_text(self, user: TelegramUser) -> str:
        return user.last_bot_message().text or ""

    async def onboard(
        self, user: TelegramUser, *, zone: str = "Europe/Berlin", at: str = "08:00", band: bool = True
    ) -> None:
        """The happy path through /start, for tests about what comes after."""
        from bot.domain.screening import QUESTIONS

        await self.say(user, "/start")
        await self.press(user, "Let's go")
        await self.press(user, "I have seen or will see a clinician")
        for _ in QUESTIONS:
            await self.press(user, "No")
        await self.say(user, zone)
        hours, minutes = (int(part) for part in at.split(":"))
        await self.press(user, TimeButton(hours * 60 + minutes).pack())
        await self.press(user, "Yes, I have a band" if band else "No band")


@asynccontextmanager
async def running_bot(
    db: Database, *, fake: FakeTelegram | None = None, **settings: Any
) -> AsyncIterator[Harness]:
    """The bot against the in-process emulator; pass `fake` to restart it against the same Telegram."""
    own = fake is None
    fake = fake or FakeTelegram()
    # Unpaced unless a test is about the pace: 25 messages a second would make every step wait.
    settings.setdefault("send_rate_per_second", 1000.0)
    config = load_settings(bot_token=TOKEN, database_url=db.url, timer_scale=0.01, _env_file=None, **settings)
    runtime = Runtime(
        config,
        db,
        request=EmulatorRequest(fake),
        get_updates_request=EmulatorRequest(fake),
        jobs=False,
    )
    # Book deliveries at once: tests wait for the booking after every step (production batches
    # 50 ms, broadcasts up to 0.5 s).
    runtime.sender.flush_interval = 0.001
    runtime.sender.broadcast_flush_interval = 0.001
    harness = Harness(fake, runtime, db)
    await runtime.start()
    try:
        yield harness
    finally:
        await runtime.stop()
        if own:
            await fake.aclose()
