"""Reference bots for the tap benchmark: what a step costs in a plain PTB bot.

Both are ordinary PTB Applications with PTB's own polling (Updater) against the emulator,
the same number of concurrent updates as the production bot, and a rate limiter with the
production sender's setting (`PacedLimiter`: the global pace with no bursts, a burst of 3
per chat per second, callback answers not counted). They run in the benchmark's process.

- `echo_bot`: a bare echo. Text is echoed with a "Done" button; a press is answered and
  the message edited to the next step's "Done" button. No database.
- `tutorial_bot`: the style of PTB's ConversationHandler examples. /stretch opens a row
  and shows step 0; each "Done" answers the query, writes one SQLAlchemy row (ORM add +
  commit, its own session) and edits the message into the next step; after the last step
  it shows a closing message. The engine is `db.engine.make_engine`, so SQLite gets the
  same PRAGMAs (WAL, synchronous=NORMAL, busy_timeout) and BEGIN IMMEDIATE as the bot,
  with SQLAlchemy's stock aiosqlite adapter (the bot's one-trip cursor is its own work).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import aiosqlite
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from db.engine import make_engine
from tgemu import EmulatorRequest, FakeTelegram

ECHO_TOKEN = "223456789:ECHOtokenECHOtokenECHOtokenECHOtoken"
TUTORIAL_TOKEN = "323456789:TUTORtokenTUTORtokenTUTORtokenTUTOR"
FINISHED = "fin"  # the tutorial bot's closing message carries this button


def step_data(session_id: int, step: int) -> str:
    """The tutorial bot's "Done" button of a step."""
    return f"done:{session_id}:{step}"


def echo_data(step: int) -> str:
    return f"e:{step}"


def _done(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data=data)]])


class PacedLimiter(BaseRateLimiter[None]):
    """The production sender's limits as a PTB rate limiter: `rate` counted calls a second,
    evenly spaced (no bursts), at most `chat_burst` per chat in `chat_window` seconds;
    answerCallbackQuery and getUpdates are not counted (Telegram does not count them)."""

    FREE = frozenset({"answerCallbackQuery", "getUpdates", "getMe", "setMyCommands", "deleteWebhook"})

    def __init__(self, rate: float, chat_burst: int = 3, chat_window: float = 1.0) -> None:
        self.interval = 1.0 / rate
        self.chat_burst = chat_burst
        self.chat_window = chat_window
        self._next = 0.0
        self._recent: dict[Any, deque[float]] = {}
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        if endpoint not in self.FREE:
            chat = data.get("chat_id")
            async with self._lock:  # one token at a time, in arrival order
                now = time.monotonic()
                recent = self._recent.setdefault(chat, deque())
                while recent and recent[0] <= now - self.chat_window:
                    recent.popleft()
                wait = recent[0] + self.chat_window - now if len(recent) >= self.chat_burst else 0.0
                wait = max(wait, self._next - now)
                if wait > 0:
                    await asyncio.sleep(wait)
                    now = time.monotonic()
                self._next = max(now, self._next) + self.interval
                recent.append(now)
        return await callback(*args, **kwargs)


def _app(
    token: str, fake: FakeTelegram, rate: float, concurrent: int
) -> Application[Any, Any, Any, Any, Any, Any]:
    return (
        ApplicationBuilder()
        .token(token)
        .request(EmulatorRequest(fake))
        .get_updates_request(EmulatorRequest(fake))
        .rate_limiter(PacedLimiter(rate))
        .concurrent_updates(concurrent)
        .build()
    )


# --------------------------------------------------------------------------- echo


def echo_bot(
    fake: FakeTelegram, *, rate: float, concurrent: int
) -> Application[Any, Any, Any, Any, Any, Any]:
    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text, reply_markup=_done(echo_data(0)))

    async def press(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        step = int(query.data.split(":")[1]) + 1
        await query.answer()
        await query.edit_message_text(f"Step {step + 1}", reply_markup=_done(echo_data(step)))

    app = _app(ECHO_TOKEN, fake, rate, concurrent)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(press))
    return app


# --------------------------------------------------------------------------- tutorial


class Base(DeclarativeBase):
    pass


class RefSession(Base):
    __tablename__ = "ref_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RefStep(Base):
    __tablename__ = "ref_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("ref_sessions.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


STEP = 0


class Tutorial:
    """The tutorial-style bot and its engine (create with `await Tutorial.create(...)`)."""

    def __init__(
        self, engine: AsyncEngine, app: Application[Any, Any, Any, Any, Any, Any], steps: int
    ) -> None:
        self.engine = engine
        self.app = app
        self.steps = steps

    @classmethod
    async def create(
        cls, url: str, fake: FakeTelegram, *, steps: int, rate: float, concurrent: int
    ) -> Tutorial:
        if url.startswith("sqlite+aiosqlite"):
            # The bot's PRAGMAs and BEGIN IMMEDIATE, with SQLAlchemy's stock aiosqlite adapter
            # (not the bot's one-trip cursor, db/onetrip.py): what a tutorial bot would run.
            engine = make_engine(url, module=AsyncAdapt_aiosqlite_dbapi(aiosqlite, sqlite3))
        else:
            engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            assert update.message is not None and update.effective_user is not None
            async with sessions() as s:
                row = RefSession(telegram_id=update.effective_user.id, started_at=datetime.now(UTC))
                s.add(row)
                await s.commit()
            assert context.user_data is not None
            context.user_data["session"] = row.id
            await update.message.reply_text(f"Step 1 of {steps}", reply_markup=_done(step_data(row.id, 0)))
            return STEP

        async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            assert query is not None and query.data is not None and context.user_data is not None
            _, sid, raw = query.data.split(":")
            step = int(raw)
            await query.answer()
            async with sessions() as s:
                s.add(RefStep(session_id=int(sid), step=step, outcome="done", done_at=datetime.now(UTC)))
                await s.commit()
            if step + 1 >= steps:
                await query.edit_message_text("All done", reply_markup=_done(FINISHED))
                return ConversationHandler.END
            await query.edit_message_text(
                f"Step {step + 2} of {steps}", reply_markup=_done(step_data(int(sid), step + 1))
            )
            return STEP

        app = _app(TUTORIAL_TOKEN, fake, rate, concurrent)
        app.add_handler(
            ConversationHandler(
                entry_points=[CommandHandler("stretch", start)],
                states={STEP: [CallbackQueryHandler(done, pattern=r"^done:")]},
                fallbacks=[CommandHandler("stretch", start)],
                allow_reentry=True,
            )
        )
        return cls(engine, app, steps)


async def run_app(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start as a PTB bot starts: initialize, start, long polling."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling()


async def stop_app(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
