"""Drive the real Application against the in-process Bot API emulator.

Updates are fetched with a real getUpdates call and handed to `process_update` one by
one, so every test is deterministic: when `pump()` returns, the bot has finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.deps import DEPS_KEY, Deps
from config import load_settings
from db.engine import Database
from db.models import User
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

TOKEN = "123456789:TESTtokenTESTtokenTESTtokenTESTtoken1"


class Harness:
    def __init__(self, fake: FakeTelegram, app: Application, db: Database) -> None:  # type: ignore[type-arg]
        self.fake = fake
        self.app = app
        self.db = db
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.errors: list[BaseException] = []
        self._offset = 0
        self.deps.clock = lambda: self.now

    @property
    def deps(self) -> Deps:
        deps: Deps = self.app.bot_data[DEPS_KEY]
        return deps

    def user(self, user_id: int = 1001, first_name: str = "Alex") -> TelegramUser:
        return self.fake.user(user_id, first_name)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def pump(self) -> int:
        """Process every update the emulator holds; returns how many."""
        processed = 0
        while True:
            updates = await self.app.bot.get_updates(offset=self._offset, timeout=0)
            if not updates:
                return processed
            for update in updates:
                self._offset = update.update_id + 1
                await self.app.process_update(update)
                processed += 1

    async def process_raw(self, payload: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(payload, self.app.bot))

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

    async def onboard(self, user: TelegramUser, *, zone: str = "Europe/Berlin", at: str = "08:00") -> None:
        """The happy path through /start, for tests about what comes after."""
        await self.say(user, "/start")
        await self.press(user, "Let's go")
        await self.press(user, "I understand")
        from bot.domain.screening import QUESTIONS

        for _ in QUESTIONS:
            await self.press(user, "No")
        await self.say(user, zone)
        await self.press(user, at)


@asynccontextmanager
async def running_bot(db: Database, **settings: Any) -> AsyncIterator[Harness]:
    fake = FakeTelegram()
    config = load_settings(bot_token=TOKEN, database_url=db.url, timer_scale=0.01, _env_file=None, **settings)
    app = build_application(
        config,
        db,
        request=EmulatorRequest(fake),
        get_updates_request=EmulatorRequest(fake),
        schedule_dispatch=False,
        rate_limit=False,
    )
    harness = Harness(fake, app, db)

    async def record(update: object, context: Any) -> None:
        harness.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield harness
    finally:
        await app.stop()
        await app.shutdown()
        await fake.aclose()
