"""Reliability and security in-process: bugs in a flow, secrets in logs, faults in the
database (failing statements on both backends, PostgreSQL connections killed mid-update),
and the same button pressed twice at once by two bot processes.

The subprocess side (SIGKILL, SIGTERM, the real `python -m bot` at DEBUG) is in
test_reliability_process.py; what the user sees after a failed Bot API call is in
test_delivery_failures.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from telegram import Update

from bot.app import Runtime
from bot.domain.routine import STEPS
from bot.flows import general as general_flow
from bot.flows import session as session_flow
from bot.logging_setup import REDACTED, add_secret
from bot.pipeline import outbox
from bot.services import store
from config import load_settings
from db import engine as engine_module
from db.engine import Database, connection_lost
from db.models import Base, ExerciseResult, InboxUpdate, PracticeSession, ReminderLog, ScreeningAnswer, User
from db.short import SHORT
from db.states import OnboardingStep
from tests.harness import TOKEN, Harness, running_bot
from tests.invariants import assert_chat_matches, assert_invariants
from tests.replicas import second_process, together
from tgemu import FakeTelegram, TelegramUser, file_url, start_server

SECRET_PART = TOKEN.split(":", 1)[1]
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


async def _start_session(h: Harness, user: TelegramUser, pain: str = "3") -> None:
    await h.onboard(user)
    await h.press(user, "▶️ Start now")
    await h.press(user, pain)


async def _results(db: Database) -> list[tuple[int, str, str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(
                ExerciseResult.session_id,
                ExerciseResult.exercise_key,
                ExerciseResult.side,
                ExerciseResult.outcome,
            ).order_by(ExerciseResult.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _sessions(db: Database) -> list[tuple[str, str, int]]:
    async with db.session() as s:
        rows = await s.execute(
            select(PracticeSession.status, PracticeSession.stage, PracticeSession.step).order_by(
                PracticeSession.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _inbox(db: Database) -> list[tuple[int, bool, str | None]]:
    """(update_id, handled, error) of every stored update."""
    async with db.session() as s:
        rows = await s.execute(
            select(InboxUpdate.update_id, InboxUpdate.done_at, InboxUpdate.error).order_by(
                InboxUpdate.update_id
            )
        )
        return [(uid, done is not None, error) for uid, done, error in rows]


# --------------------------------------------------------------------------- bugs in a flow


async def test_a_bug_in_a_flow_is_logged_with_ids_and_the_user_gets_a_brief_apology(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    detail = "KeyError in chart renderer: dsn=postgresql://admin:hunter2@db.internal/prod"

    async def broken(ctx: Any) -> None:
        raise RuntimeError(detail)

    monkeypatch.setattr(general_flow, "help_", broken)
    async with running_bot(db) as h:
        alex = h.user()
        with caplog.at_level(logging.DEBUG):
            await h.say(alex, "/help")
        assert h.errors == ["update failed"]
        # The user: one short, friendly line, nothing of the internals.
        assert h.last_text(alex) == APOLOGY
        for shown in h.texts(alex):
            for leak in ("RuntimeError", "Traceback", "hunter2", "KeyError", detail):
                assert leak not in shown
        # The log: the update's ids and the full traceback, never the user's text.
        logged = [r for r in caplog.records if r.name == "bot.pipeline.worker" and r.levelno == logging.ERROR]
        assert len(logged) == 1
        record = logged[0]
        message = record.getMessage()
        assert "chat 1001" in message and "user 1001" in message and "RuntimeError" in message
        assert "/help" not in message and "hunter2" not in message
        assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
        assert "broken" in logging.Formatter().formatException(record.exc_info)
        # The update is done (never retried as if the database had failed), its error kept.
        assert [(handled, error) for _, handled, error in await _inbox(db)] == [(True, "RuntimeError")]
        await assert_invariants(db)


async def test_a_bug_behind_a_button_stops_the_spinner_apologises_and_leaves_the_step_live(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, real_quick = session_flow.press, session_flow.quick_press

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("division by zero in step 3 of _advance")

    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        monkeypatch.setattr(session_flow, "press", broken)
        monkeypatch.setattr(session_flow, "quick_press", broken)  # Done's usual path
        query_id = alex.press("✅ Done")
        await h.pump()
        assert h.errors == ["update failed"]
        assert h.fake.callback_answer(query_id) is not None  # the spinner stops
        assert h.last_text(alex) == APOLOGY
        assert "division" not in " ".join(h.texts(alex))
        # Nothing moved, and the chat says so: the card still offers the first step.
        assert await _sessions(db) == [("open", "exercise", 0)]
        await assert_chat_matches(db, alex)
        await assert_invariants(db)
        # Once the bug is gone, the very same button works.
        monkeypatch.setattr(session_flow, "press", real)
        monkeypatch.setattr(session_flow, "quick_press", real_quick)
        await h.press(alex, "✅ Done")
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        await assert_chat_matches(db, alex)


# --------------------------------------------------------------------------- secrets


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


LIBRARIES = (
    "",
    "httpx",
    "httpcore",
    "telegram",
    "telegram.ext",
    "apscheduler",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
    "aiohttp",
    "asyncio",
    "bot",
    "db",
)


@contextmanager
def capture_everything() -> Iterator[_Capture]:
    """Every record at DEBUG, from the root logger down (configure_logging may have quieted some)."""
    capture = _Capture()
    saved = {name: logging.getLogger(name).level for name in LIBRARIES}
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _exception_texts(exc: BaseException | None) -> Iterator[str]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield f"{type(exc).__name__}: {exc!s} {exc!r}"
        exc = exc.__cause__ or exc.__context__


@asynccontextmanager
async def http_harness(db: Database) -> AsyncIterator[tuple[Harness, Any]]:
    """The bot on PTB's real HTTPX transport against the emulator on 127.0.0.1, so the
    request URLs (which contain the token) pass through httpx and its logging."""
    fake = FakeTelegram()
    runner, base_url = await start_server(fake, "127.0.0.1", 0)
    config = load_settings(
        bot_token=TOKEN,
        database_url=db.url,
        timer_scale=0.01,
        _env_file=None,
        telegram_base_url=base_url,
        telegram_base_file_url=file_url(base_url),
    )
    runtime = Runtime(config, db, jobs=False)
    h = Harness(fake, runtime, db)
    await runtime.start()
    try:
        yield h, runner
    finally:
        await runtime.stop()
        fake.release_pollers()
        await runner.cleanup()
        await fake.aclose()


class LeakyError(RuntimeError):
    """A bug whose message quotes a request URL, token and all."""


async def test_the_token_never_reaches_a_log_line_or_a_library_exception(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_secret(TOKEN)  # what configure_logging does at start-up

    async def leaky(ctx: Any) -> None:
        raise LeakyError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")

    with capture_everything() as capture:
        async with http_harness(db) as (h, runner):
            alex = h.user()
            await _start_session(h, alex)
            await h.press(alex, "⏱ Start 20 s timer")
            await h.fake.wait_for(lambda: "Other side" in h.last_text(alex), timeout=5)
            await h.press(alex, "✅ Done")
            # A 500 from the Bot API: the sender retries.
            h.fake.fail_next("sendMessage", 500)
            await h.say(alex, "/help")
            # A bug whose exception text carries the token: logged with its traceback.
            monkeypatch.setattr(general_flow, "help_", leaky)
            await h.say(alex, "/help")
            assert h.runtime.worker.stats.failed == 1
            # Telegram unreachable: the transport errors while the sender retries the apology.
            await runner.cleanup()
            retried = h.runtime.sender.stats.retried
            alex.send_command("/help")
            pending = h.fake.pending_updates[-1]
            await h.runtime.store_updates([Update.de_json(pending, h.runtime.bot)])
            await h.runtime.worker.handle(Update.de_json(pending, h.runtime.bot))
            for _ in range(100):
                if h.runtime.sender.stats.retried > retried:
                    break
                await asyncio.sleep(0.05)
            assert h.runtime.sender.stats.retried > retried, "the sender never met the unreachable Bot API"
    assert any(r.name.startswith("httpx") for r in capture.records), "httpx was not heard at DEBUG"
    assert any(REDACTED in line for line in capture.lines), "no URL with the token was ever logged"
    assert any(r.exc_info for r in capture.records if r.name == "bot.pipeline.worker")
    leaks = [line for line in capture.lines if SECRET_PART in line]
    for record in capture.records:
        if SECRET_PART in record.getMessage() or SECRET_PART in (record.exc_text or ""):
            leaks.append(record.getMessage())
        if record.exc_info and not isinstance(record.exc_info[1], LeakyError):
            leaks += [t for t in _exception_texts(record.exc_info[1]) if SECRET_PART in t]
    assert leaks == []


# --------------------------------------------------------------------------- database faults (both backends)


@contextmanager
def failing_statements(
    db: Database, match: str, times: int, message: str = "database is locked"
) -> Iterator[list[str]]:
    """The next `times` statements containing `match` fail in the driver, as a database that
    is locked, restarting or out of disk would make them (a DBAPI OperationalError, which
    SQLAlchemy wraps exactly as it wraps a real one)."""
    hits: list[str] = []
    error = db.engine.dialect.dbapi.OperationalError  # type: ignore[union-attr]

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if match in statement.replace(f"{SHORT} ", "") and len(hits) < times:
            hits.append(statement)
            raise error(message)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield hits
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)


async def test_a_statement_failing_mid_update_rolls_back_and_is_redone_once(db: Database) -> None:
    """The step moved (compare-and-set), then the result insert failed: the transaction rolls
    back with everything it decided, the worker runs the update again, and the step moves
    once with its result, as the card shows."""
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        with failing_statements(db, "INSERT INTO exercise_results", times=1) as hits:
            await h.press(alex, "✅ Done")
        assert len(hits) == 1
        assert h.runtime.worker.stats.retried == 1
        assert h.errors == []
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert await _sessions(db) == [("open", "exercise", 1)]
        assert APOLOGY not in h.texts(alex)
        await assert_chat_matches(db, alex)
        await h.press(alex, "✅ Done")
        assert await _sessions(db) == [("open", "exercise", 2)]
        await assert_chat_matches(db, alex)
        await assert_invariants(db)


async def test_a_database_down_for_every_attempt_leaves_the_update_stored_and_the_chat_unchanged(
    db: Database,
) -> None:
    """Four failed attempts: the update stays pending in the inbox and nothing is shown (the
    card still offers the step the database holds). The sweep handles it once the database
    is back; the user's second tap of the same button waits for it, and counts once."""
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        card = alex.last_bot_message()
        with failing_statements(db, "INSERT INTO inbox", times=4) as hits:
            await h.press(alex, "✅ Done")
        assert len(hits) == 4 and h.errors == []
        assert [handled for _, handled, _ in await _inbox(db)][-1] is False
        assert await _sessions(db) == [("open", "exercise", 0)]
        assert alex.last_bot_message() == card
        await assert_chat_matches(db, alex)
        # The database is back; the person taps again before any sweep ran.
        await h.press(alex, "✅ Done")
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert await _sessions(db) == [("open", "exercise", 1)]
        assert alex.callback_answers()[-1].get("text") == "Already noted."
        await assert_chat_matches(db, alex)
        await assert_invariants(db)


async def test_the_sweep_picks_up_an_update_the_database_refused(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        with failing_statements(db, "INSERT INTO inbox", times=4):
            await h.press(alex, "Skip")
        assert await _sessions(db) == [("open", "exercise", 0)]
        h.advance(seconds=31)  # older than the sweep's grace for another process's updates
        await h.runtime._sweep(None)  # type: ignore[arg-type]
        await h.runtime.settle()
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "skipped")]
        assert await _sessions(db) == [("open", "exercise", 1)]
        assert all(handled for _, handled, _ in await _inbox(db))
        await assert_chat_matches(db, alex)
        assert h.errors == []


async def test_a_commit_whose_answer_is_lost_still_shows_its_effects(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst case of a connection dying at COMMIT: the database committed, the bot heard
    an error. The retry finds the update done; what it decided must still reach the chat."""
    dialect = db.engine.dialect
    real_commit = dialect.do_commit
    real_add = outbox.add
    armed: list[Any] = []
    lost: list[str] = []
    go: list[bool] = []
    error = dialect.dbapi.OperationalError  # type: ignore[union-attr]

    async def add_and_arm(s: Any, entries: Any, now: Any, **kwargs: Any) -> Any:
        if go and not armed and any(e.effect.kind == "card" for e in entries):
            connection = await s.connection()
            armed.append(await connection.get_raw_connection())
        return await real_add(s, entries, now, **kwargs)

    def commit_then_lose_the_answer(dbapi_connection: Any) -> None:
        real_commit(dbapi_connection)
        if armed and not lost and dbapi_connection is armed[0]:
            lost.append("the COMMIT went through")
            raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "add", add_and_arm)
    monkeypatch.setattr(dialect, "do_commit", commit_then_lose_the_answer)
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        go.append(True)
        await h.press(alex, "✅ Done")
        assert lost and h.errors == []
        assert await _sessions(db) == [("open", "exercise", 1)]  # committed
        await assert_chat_matches(db, alex)


# --------------------------------------------------------------------------- PostgreSQL connections killed

APP_NAME = f"stretch-reliability-{os.getpid()}"


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[Database]:
    """The bot's database, its connections tagged so only they are killed (other test runs
    may share the server)."""
    database = Database(postgres_url, connect_args={"server_settings": {"application_name": APP_NAME}})
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


async def kill_bot_connections(url: str) -> int:
    """pg_terminate_backend from a separate connection; returns how many died."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1",
                APP_NAME,
            )
        )
    finally:
        await conn.close()


async def test_a_connection_idle_past_the_window_is_pinged_and_replaced(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle past the window: the checkout pings it (one round trip), finds it dead and hands
    out a fresh one, so even a caller that never retries sees no error."""
    async with pg_db.session() as s:
        before = await s.scalar(text("SELECT pg_backend_pid()"))
    monkeypatch.setattr(engine_module, "PING_IDLE_SECONDS", 0.0)
    assert await kill_bot_connections(pg_db.url) >= 1
    async with pg_db.session() as s:
        after = await s.scalar(text("SELECT pg_backend_pid()"))
    assert after != before


async def test_a_connection_used_within_the_window_is_not_pinged_and_its_loss_is_retried(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Used a moment ago: no ping (no round trip on a hot path). If it died meanwhile, the
    first statement fails as a lost connection, the pool is renewed, and a second try works."""
    pings: list[str] = []

    @event.listens_for(pg_db.engine.sync_engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        pings.append(statement)

    async with pg_db.session() as s:
        await s.execute(text("SELECT 1"))
    monkeypatch.setattr(engine_module, "PING_IDLE_SECONDS", 3600.0)
    assert await kill_bot_connections(pg_db.url) >= 1
    with pytest.raises(Exception) as lost:
        async with pg_db.session() as s:
            await s.execute(text("SELECT 2"))
    assert connection_lost(lost.value)
    async with pg_db.session() as s:
        assert await s.scalar(text("SELECT 3")) == 3
    assert [p.strip() for p in pings] == ["SELECT 1", "SELECT 2", "SELECT 3"]


async def test_an_update_is_stored_after_its_connection_died_unnoticed(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """getUpdates stores what it fetched on a connection that died a moment ago: the store
    runs once more on a fresh one, so the batch is not refetched after a back-off."""
    monkeypatch.setattr(engine_module, "PING_IDLE_SECONDS", 3600.0)
    async with running_bot(pg_db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        assert await kill_bot_connections(pg_db.url) >= 1
        await h.say(alex, "/help")
        assert h.runtime.db_errors["intake"] == 0
        async with pg_db.session() as s:
            stored = (await s.execute(select(InboxUpdate.done_at))).scalars().all()
        assert len(stored) == 2 and all(done is not None for done in stored)
        assert h.errors == []


async def test_killed_connections_next_update_and_dispatch_succeed(pg_db: Database) -> None:
    async with running_bot(pg_db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        assert await kill_bot_connections(pg_db.url) >= 1
        await h.say(alex, "/stretch")
        assert "before we start" in h.last_text(alex)
        await h.press(alex, "4")
        assert h.last_text(alex).startswith("Exercise 1 of 7")
        await h.say(alex, "/cancel")

        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None
        h.now = user.next_reminder_at + timedelta(seconds=5)
        assert await kill_bot_connections(pg_db.url) >= 1
        await h.dispatch()
        assert "Time to stretch" in h.last_text(alex)
        async with pg_db.session() as s:
            assert (await s.execute(select(ReminderLog.status))).scalars().all() == ["sent"]
        assert h.errors == []
        await assert_invariants(pg_db)


@pytest.mark.parametrize("where", ["after the move, before the effects", "after the effects, before commit"])
async def test_connection_killed_inside_an_update_is_redone_exactly_once(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The bot's connection dies inside the update's transaction: the server rolls it back,
    the worker runs the update again on a fresh connection, and the step moves once. (On
    PostgreSQL the move and its result are one statement: nothing can die between them.)"""
    killed: list[int] = []
    real_add = outbox.add

    async def kill_around_add(*args: Any, **kwargs: Any) -> Any:
        card = any(e.effect.kind == "card" for e in args[1])
        if card and not killed and where.endswith("before the effects"):
            killed.append(await kill_bot_connections(pg_db.url))
        items = await real_add(*args, **kwargs)
        if card and not killed:
            killed.append(await kill_bot_connections(pg_db.url))
        return items

    monkeypatch.setattr(outbox, "add", kill_around_add)
    async with running_bot(pg_db) as h:
        alex = h.user()
        await _start_session(h, alex)
        killed.clear()
        await h.press(alex, "✅ Done")
        assert killed and killed[0] >= 1
        assert h.errors == [] and h.runtime.worker.stats.retried >= 1
        assert [r[1:] for r in await _results(pg_db)] == [("knees_to_chest", "left", "done")]
        assert await _sessions(pg_db) == [("open", "exercise", 1)]
        assert APOLOGY not in h.texts(alex)
        await assert_chat_matches(pg_db, alex)
        await h.press(alex, "✅ Done")
        assert await _sessions(pg_db) == [("open", "exercise", 2)]
        await assert_chat_matches(pg_db, alex)
        await assert_invariants(pg_db)


async def test_connection_killed_during_the_last_onboarding_tap(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: "You're all set!" must never show while the database is still at an
    earlier step. Here the kill lands inside the band answer's transaction."""
    real_add = outbox.add
    killed: list[int] = []

    async def add_then_kill(*args: Any, **kwargs: Any) -> Any:
        items = await real_add(*args, **kwargs)
        if not killed and any("all set" in str(e.effect) for e in args[1]):
            killed.append(await kill_bot_connections(pg_db.url))
        return items

    monkeypatch.setattr(outbox, "add", add_then_kill)
    async with running_bot(pg_db) as h:
        alex = h.user()
        await h.onboard(alex)
        assert killed and killed[0] >= 1
        assert h.errors == []
        user = await h.db_user(alex.user_id)
        assert user is not None and user.onboarding_step is OnboardingStep.FIRST and user.has_band is True
        assert sum("You're all set!" in t for t in h.texts(alex)) == 1
        assert h.last_text(alex).startswith("You're all set!")
        await h.press(alex, "▶️ Start now")
        assert "before we start" in h.last_text(alex)
        await assert_chat_matches(pg_db, alex)


async def test_connection_killed_while_a_reminder_is_sent(pg_db: Database) -> None:
    """The claim is committed before the send; the connections die right after Telegram took
    the message; the outcome is still booked (pre-ping gives a fresh connection) and nothing
    goes out twice."""
    async with running_bot(pg_db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None
        due = user.next_reminder_at
        h.now = due + timedelta(seconds=5)
        methods = h.fake._methods
        real_send = methods["sendmessage"]
        killed: list[int] = []

        async def send_then_kill(params: dict[str, Any], files: Any) -> Any:
            result = await real_send(params, files)
            killed.append(await kill_bot_connections(pg_db.url))
            return result

        methods["sendmessage"] = send_then_kill
        try:
            await h.dispatch()
        finally:
            methods["sendmessage"] = real_send
        assert killed and killed[0] >= 1
        await h.dispatch()
        assert sum("Time to stretch" in t for t in h.texts(alex)) == 1
        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None and user.next_reminder_at > due
        async with pg_db.session() as s:
            statuses = (await s.execute(select(ReminderLog.status))).scalars().all()
        assert statuses == ["sent"]
        assert h.errors == []
        await assert_invariants(pg_db)


# --------------------------------------------------------------------------- two processes, one button


@pytest.fixture
def race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold every flow for a moment right after it read the user, so two processes handling
    two taps both read before either writes: only the database can keep them apart."""
    real_user = store.get_user

    async def slow_user(*args: Any, **kwargs: Any) -> Any:
        found = await real_user(*args, **kwargs)
        await asyncio.sleep(0.03)
        return found

    monkeypatch.setattr(store, "get_user", slow_user)


def _twice(user: TelegramUser, first: str, second: str | None = None) -> None:
    message = next(m for m in reversed(user.bot_messages()) if m.keyboard)
    labels = dict((label, data) for row in message.keyboard for label, data in row)
    for label in (first, second or first):
        data = labels.get(label) or next(d for lab, d in labels.items() if label in lab)
        assert data is not None
        user.press_raw(data, message.message_id)


@pytest.mark.parametrize("first,second", [("✅ Done", None), ("Skip", "✅ Done"), ("✅ Done", "Skip")])
async def test_two_presses_at_once_record_once(
    db: Database, first: str, second: str | None, race_window: None
) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        async with second_process(h) as other:
            _twice(alex, first, second)
            await together(h, other)
            results = await _results(db)
            assert len(results) == 1 and results[0][1:3] == ("knees_to_chest", "left")
            assert await _sessions(db) == [("open", "exercise", 1)]
            answers = [a.get("text") for a in alex.callback_answers()[-2:]]
            assert "Already noted." in answers
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_two_stop_it_hurts_at_once_record_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        async with second_process(h) as other:
            _twice(alex, "Stop - it hurts")
            await together(h, other)
            assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "stopped_pain")]
            assert await _sessions(db) == [("open", "hurt", 0)]
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_two_timer_starts_at_once_run_one_timer(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        async with second_process(h) as other:
            _twice(alex, "Start 20 s timer")
            await together(h, other)
            answers = [a.get("text") for a in alex.callback_answers()[-2:]]
            assert sorted(answers, key=str) == sorted(["Timer started", "That step has moved on."], key=str)
            holds = [
                job.name
                for runtime in (h.runtime, other.runtime)
                for job in runtime.app.job_queue.jobs()  # type: ignore[union-attr]
                if job.name and job.name.startswith("hold:") and job.name.endswith(":0")
            ]
            assert holds and len(set(holds)) == 1
            timers_in = [
                runtime
                for runtime in (h.runtime, other.runtime)
                if any(
                    (job.name or "").startswith("hold:")
                    for job in runtime.app.job_queue.jobs()  # type: ignore[union-attr]
                )
            ]
            assert len(timers_in) == 1, "both processes started a hold timer"
            await h.fake.wait_for(lambda: "Other side" in h.last_text(alex), timeout=5)
            await timers_in[0].settle()
            assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []


async def test_two_pain_ratings_at_once_keep_one(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "▶️ Start now")
        async with second_process(h) as other:
            _twice(alex, "3", "7")
            await together(h, other)
            async with db.session() as s:
                pains = (await s.execute(select(PracticeSession.pain_before))).scalars().all()
            assert pains in ([3], [7])
            assert sum(t.startswith("Exercise 1 of 7") for t in h.texts(alex)) == 1
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []


async def test_two_final_ratings_at_once_finish_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        assert "after the session" in h.last_text(alex)
        async with second_process(h) as other:
            _twice(alex, "2")
            await together(h, other)
            assert await _sessions(db) == [("completed", "done", len(STEPS))]
            assert sum("Session finished" in t for t in h.texts(alex)) == 1
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_two_stretch_commands_at_once_open_one_session(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        async with second_process(h) as other:
            alex.send_command("/stretch")
            alex.send_command("/stretch")
            await together(h, other)
            assert await _sessions(db) == [("open", "pain_before", 0)]
            await assert_chat_matches(db, alex)
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_two_erase_confirmations_at_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "✅ Done")
        await h.say(alex, "/delete")
        async with second_process(h) as other:
            _twice(alex, "Yes, erase everything")
            await together(h, other)
            assert await h.db_user(alex.user_id) is None
            assert sum(t.startswith("Done: everything about you is erased") for t in h.texts(alex)) == 1
            assert h.errors == [] and other.errors == []
        await assert_invariants(db)


async def test_two_screening_answers_at_once_log_one(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, "I have seen or will see a clinician")
        async with second_process(h) as other:
            _twice(alex, "No")
            await together(h, other)
            assert await h.count(ScreeningAnswer) == 1
            assert sum("Question 2 of 15" in t for t in h.texts(alex)) == 1
            assert h.errors == [] and other.errors == []


async def test_two_weekday_toggles_at_once_both_count(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        before = (await h.db_user(alex.user_id)).weekdays  # type: ignore[union-attr]
        await h.say(alex, "/settings")
        await h.press(alex, "st:days")
        days = alex.last_bot_message()
        off, on = sorted(before)[0], sorted(set(range(7)) - before)[0]
        async with second_process(h) as other:
            alex.press_raw(f"wd:{off}:0", days.message_id)
            alex.press_raw(f"wd:{on}:0", days.message_id)
            await together(h, other)
            assert (await h.db_user(alex.user_id)).weekdays == (before - {off}) | {on}  # type: ignore[union-attr]
            assert h.errors == [] and other.errors == []


async def test_two_presses_delivered_by_polling_while_the_app_runs(db: Database) -> None:
    """The full path: PTB's Updater long-polls the emulator (getUpdates stores before it
    confirms), the update processor hands both presses to the worker, and one counts."""
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        updater = h.runtime.app.updater
        assert updater is not None
        await updater.start_polling(timeout=1, poll_interval=0)
        try:
            _twice(alex, "✅ Done")
            await h.fake.wait_for(
                lambda: len(alex.callback_answers()) >= 2 and "Other side" in h.last_text(alex), timeout=10
            )
        finally:
            await updater.stop()
        await h.runtime.settle()
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert all(handled for _, handled, _ in await _inbox(db))
        await assert_chat_matches(db, alex)
        assert h.errors == []
        await assert_invariants(db)


async def test_the_inbox_keeps_each_update_as_telegram_sent_it(db: Database) -> None:
    """What getUpdates returned is stored verbatim (a field this PTB does not know
    included), and the worker handles it from there like any other update."""
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        alex.send_command("/progress")
        first = dict(h.fake.pending_updates[0])
        future = {**first, "update_id": first["update_id"] + 1, "a_field_from_the_future": {"x": 1}}
        h.fake.push_update(future)
        sent = [first, future]
        assert await h.take_updates() == 2
        async with db.session() as s:
            rows = dict(
                (
                    await s.execute(
                        select(InboxUpdate.update_id, InboxUpdate.payload).where(
                            InboxUpdate.update_id.in_([u["update_id"] for u in sent])
                        )
                    )
                ).all()
            )
        assert {uid: json.loads(payload) for uid, payload in rows.items()} == {
            u["update_id"]: u for u in sent
        }
        await h.runtime.sender.drain()
        assert all(handled for uid, handled, _ in await _inbox(db) if uid in rows)
        assert h.errors == []


async def test_users_are_stored_once_however_many_updates_race(db: Database, race_window: None) -> None:
    """Two first messages of a new user at once, in two processes: one user row."""
    async with running_bot(db) as h:
        alex = h.user()
        async with second_process(h) as other:
            alex.send_command("/start")
            alex.send_command("/start")
            await together(h, other)
            assert await h.count(User) == 1
            assert sum("I'm Stretch Coach" in t for t in h.texts(alex)) >= 1
            assert h.errors == [] and other.errors == []


async def test_a_database_hiccup_while_the_sender_looks_up_the_card_delays_it_only(db: Database) -> None:
    """After a restart the sender reads which message is the live card from `chat_slots`; that
    read failing once must not drop the card (the step is committed: the chat must follow)."""
    fake = FakeTelegram()
    try:
        async with running_bot(db, fake=fake) as h:
            alex = h.user()
            await _start_session(h, alex)
        async with running_bot(db, fake=fake) as h:  # a new process: nothing cached
            with failing_statements(db, "FROM chat_slots", times=1) as hits:
                await h.press(alex, "✅ Done")
            assert len(hits) == 1
            assert await _sessions(db) == [("open", "exercise", 1)]
            await assert_chat_matches(db, alex)
            assert h.errors == []
            await h.press(alex, "✅ Done")
            await assert_chat_matches(db, alex)
    finally:
        await fake.aclose()
