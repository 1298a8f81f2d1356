"""Reliability and security in-process: the error handler, secrets in logs, faults in the
database (PostgreSQL connections killed mid-run), and concurrent presses of one button.

The subprocess side (SIGKILL, SIGTERM, the real `python -m bot` at DEBUG) is in
test_reliability_process.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from telegram import Update

from bot import texts
from bot.app import build_application
from bot.domain.routine import STEPS
from bot.handlers import general, session
from bot.logging_setup import REDACTED, add_secret
from bot.services import store
from bot.services.dispatch import dispatch_due
from config import load_settings
from db.engine import Database
from db.models import Base, ExerciseResult, PracticeSession, ScreeningAnswer
from tests.harness import TOKEN, Harness, running_bot
from tests.test_hostile import assert_invariants
from tgemu import FakeTelegram, TelegramUser, file_url, start_server

SECRET_PART = TOKEN.split(":", 1)[1]


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


def _bot_texts(user: TelegramUser) -> list[str]:
    return [m.text or "" for m in user.bot_messages()]


# --------------------------------------------------------------------------- 2. error handler


async def test_handler_exception_is_logged_with_context_and_the_user_gets_a_brief_apology(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    detail = "KeyError in chart renderer: dsn=postgresql://admin:hunter2@db.internal/prod"

    async def broken(update: Update, context: Any) -> None:
        raise RuntimeError(detail)

    monkeypatch.setattr(general, "cmd_help", broken)  # registered by name when the app is built
    async with running_bot(db) as h:
        alex = h.user()
        with caplog.at_level(logging.DEBUG):
            await h.say(alex, "/help")
        assert [type(e) for e in h.errors] == [RuntimeError]
        # The user: one short, friendly line, nothing of the internals.
        assert h.last_text(alex) == texts.ERROR
        for shown in _bot_texts(alex):
            for leak in ("RuntimeError", "Traceback", "hunter2", "KeyError", detail):
                assert leak not in shown
        # The log: the update's context and the full traceback.
        logged = [r for r in caplog.records if r.name == "bot.errors" and r.levelno == logging.ERROR]
        assert len(logged) == 1
        record = logged[0]
        message = record.getMessage()
        assert "message" in message and "chat 1001" in message and "user 1001" in message
        assert "RuntimeError" in message
        assert record.exc_info is not None and record.exc_info[1] is h.errors[0]
        assert "broken" in logging.Formatter().formatException(record.exc_info)


async def test_exception_in_a_button_handler_answers_the_button_and_the_chat(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: Update, context: Any) -> None:
        raise ZeroDivisionError("division by zero in step 3 of _advance")

    monkeypatch.setattr(session, "on_step", broken)
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        with caplog.at_level(logging.ERROR, logger="bot.errors"):
            await h.press(alex, "✅ Done")
        assert [type(e) for e in h.errors] == [ZeroDivisionError]
        assert alex.callback_answers()[-1].get("text") == texts.ERROR  # the spinner stops
        assert h.last_text(alex) == texts.ERROR
        assert "division" not in " ".join(_bot_texts(alex))
        message = next(r.getMessage() for r in caplog.records if r.name == "bot.errors")
        assert message.startswith("error handling callback (chat 1001, user 1001)")
        await assert_invariants(db)


async def test_a_write_that_fails_mid_flight_is_reported_and_can_be_redone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step moved (compare-and-set), then the result insert failed: the whole
    transaction rolls back, the user is told, and the same button works again."""
    real = store.record_result
    failures = [OperationalError("INSERT INTO exercise_results ...", {}, Exception("server closed"))]

    async def flaky(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop()
        return await real(*args, **kwargs)

    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        monkeypatch.setattr(store, "record_result", flaky)
        await h.press(alex, "✅ Done")
        assert [type(e) for e in h.errors] == [OperationalError]
        assert h.last_text(alex) == texts.ERROR
        assert await _results(db) == []
        assert await _sessions(db) == [("open", "exercise", 0)]  # the step did not move without its result
        h.errors.clear()
        await h.press(alex, "✅ Done")  # the live buttons are still there
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert await _sessions(db) == [("open", "exercise", 1)]
        assert h.errors == []
        await assert_invariants(db)


# --------------------------------------------------------------------------- 3. secrets


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
    app = build_application(config, db, schedule_dispatch=False, rate_limit=False)
    h = Harness(fake, app, db)

    async def record(update: object, context: Any) -> None:
        h.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield h, runner
    finally:
        await app.stop()
        await app.shutdown()
        fake.release_pollers()
        await runner.cleanup()
        await fake.aclose()


async def test_the_token_never_reaches_a_log_record_or_an_exception_text(db: Database) -> None:
    add_secret(TOKEN)  # what configure_logging does at start-up
    with capture_everything() as capture:
        async with http_harness(db) as (h, runner):
            alex = h.user()
            await _start_session(h, alex)
            await h.press(alex, "⏱ Start 20 s timer")
            await h.fake.wait_for(lambda: "Side: right leg" in h.last_text(alex), timeout=5)
            await h.press(alex, "✅ Done")
            # A Bot API failure inside a handler: logged with its traceback by the error handler.
            h.fake.fail_next("sendMessage", 500)
            await h.say(alex, "/help")
            # Telegram unreachable: the transport error (and the apology that cannot be sent).
            await runner.cleanup()
            await h.process_raw(
                {
                    "update_id": 1,
                    "message": {
                        "message_id": 99,
                        "date": 1,
                        "text": "/help",
                        "from": alex.as_json(),
                        "chat": {"id": alex.chat_id, "type": "private", "first_name": "Alex"},
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    },
                }
            )
            errors = list(h.errors)
    assert len(errors) == 2, errors
    assert any(r.name.startswith("httpx") for r in capture.records), "httpx was not heard at DEBUG"
    assert any(REDACTED in line for line in capture.lines), "no URL with the token was ever logged"
    assert any(r.exc_info for r in capture.records if r.name == "bot.errors")
    leaks = [line for line in capture.lines if SECRET_PART in line]
    for record in capture.records:
        if SECRET_PART in record.getMessage() or SECRET_PART in (record.exc_text or ""):
            leaks.append(record.getMessage())
        if record.exc_info:
            leaks += [t for t in _exception_texts(record.exc_info[1]) if SECRET_PART in t]
    for error in errors:
        leaks += [t for t in _exception_texts(error) if SECRET_PART in t]
    assert leaks == []


# --------------------------------------------------------------------------- 7. concurrency


@pytest.fixture
def race_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold every handler for a moment right after it read its rows, so two concurrent
    updates both read before either writes: only the database can keep them apart."""
    real_user, real_session = store.get_user, store.get_practice_session

    async def slow_user(*args: Any) -> Any:
        found = await real_user(*args)
        await asyncio.sleep(0.03)
        return found

    async def slow_session(*args: Any) -> Any:
        found = await real_session(*args)
        await asyncio.sleep(0.03)
        return found

    monkeypatch.setattr(store, "get_user", slow_user)
    monkeypatch.setattr(store, "get_practice_session", slow_session)


async def _together(h: Harness) -> None:
    """Hand every waiting update to the application at the same time (concurrent_updates)."""
    updates = await h.app.bot.get_updates(offset=h._offset, timeout=0)
    assert len(updates) >= 2
    h._offset = updates[-1].update_id + 1
    await asyncio.gather(*(h.app.process_update(u) for u in updates))


def _twice(user: TelegramUser, first: str, second: str | None = None) -> None:
    message = next(m for m in reversed(user.bot_messages()) if m.keyboard)
    labels = dict((label, data) for row in message.keyboard for label, data in row)
    for label in (first, second or first):
        data = labels.get(label) or next(d for lab, d in labels.items() if label in lab)
        assert data is not None
        user.press_raw(data, message.message_id)


async def test_concurrent_updates_are_enabled(db: Database) -> None:
    async with running_bot(db) as h:
        from bot.update_order import PerUserUpdateProcessor

        processor = h.app.update_processor
        assert isinstance(processor, PerUserUpdateProcessor) and processor.parallel_limit == 8


@pytest.mark.parametrize("first,second", [("✅ Done", None), ("Skip", "✅ Done"), ("✅ Done", "Skip")])
async def test_two_presses_at_once_record_once(
    db: Database, first: str, second: str | None, race_window: None
) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        _twice(alex, first, second)
        await _together(h)
        results = await _results(db)
        assert len(results) == 1 and results[0][1:3] == ("knees_to_chest", "left")
        assert await _sessions(db) == [("open", "exercise", 1)]
        assert sum("Side: right leg" in t for t in _bot_texts(alex)) == 1
        answers = [a.get("text") for a in alex.callback_answers()[-2:]]
        assert "Already recorded." in answers
        assert h.errors == []
        await assert_invariants(db)


async def test_two_stop_it_hurts_at_once_record_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        _twice(alex, "Stop - it hurts")
        await _together(h)
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "stopped_pain")]
        assert await _sessions(db) == [("open", "hurt", 0)]
        assert h.errors == []
        await assert_invariants(db)


async def test_two_timer_starts_at_once_run_one_timer(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        _twice(alex, "Start 20 s timer")
        await _together(h)
        answers = [a.get("text") for a in alex.callback_answers()[-2:]]
        assert sorted(answers, key=str) == sorted(["Timer started", "That step has moved on."], key=str)
        await h.fake.wait_for(lambda: "Side: right leg" in h.last_text(alex), timeout=5)
        await asyncio.sleep(0.3)
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert sum("Side: right leg" in t for t in _bot_texts(alex)) == 1
        assert h.errors == []


async def test_two_pain_ratings_at_once_keep_one(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "▶️ Start now")
        _twice(alex, "3", "7")
        await _together(h)
        async with db.session() as s:
            pains = (await s.execute(select(PracticeSession.pain_before))).scalars().all()
        assert pains in ([3], [7])
        assert sum(t.startswith("Exercise 1 of 7") for t in _bot_texts(alex)) == 1
        assert h.errors == []


async def test_two_final_ratings_at_once_finish_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        assert "after the session" in h.last_text(alex)
        _twice(alex, "2")
        await _together(h)
        assert await _sessions(db) == [("completed", "done", len(STEPS))]
        assert sum("Today counts" in t for t in _bot_texts(alex)) == 1
        assert h.errors == []
        await assert_invariants(db)


async def test_two_stretch_commands_at_once_open_one_session(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        alex.send_command("/stretch")
        alex.send_command("/stretch")
        await _together(h)
        assert await _sessions(db) == [("open", "pain_before", 0)]
        assert h.errors == []
        await assert_invariants(db)


async def test_two_erase_confirmations_at_once(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "✅ Done")
        await h.say(alex, "/delete")
        _twice(alex, "Yes, erase everything")
        await _together(h)
        assert await h.db_user(alex.user_id) is None
        assert sum(t.startswith("Done: everything about you is erased") for t in _bot_texts(alex)) == 1
        assert h.errors == []
        await assert_invariants(db)


async def test_two_screening_answers_at_once_log_one(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, "I understand")
        _twice(alex, "No")
        await _together(h)
        assert await h.count(ScreeningAnswer) == 1
        assert sum(t.startswith("2/") for t in _bot_texts(alex)) == 1
        assert h.errors == []


async def test_two_weekday_toggles_at_once_both_count(db: Database, race_window: None) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        before = (await h.db_user(alex.user_id)).weekdays  # type: ignore[union-attr]
        await h.say(alex, "/settings")
        alex.press_raw("st:days", alex.last_bot_message().message_id)
        await h.pump()
        days = alex.last_bot_message()
        off, on = sorted(before)[0], sorted(set(range(7)) - before)[0]
        alex.press_raw(f"wd:{off}", days.message_id)
        alex.press_raw(f"wd:{on}", days.message_id)
        await _together(h)
        assert (await h.db_user(alex.user_id)).weekdays == (before - {off}) | {on}  # type: ignore[union-attr]
        assert h.errors == []


async def test_two_presses_delivered_by_polling_while_the_app_runs(db: Database) -> None:
    """The full path: PTB's Updater long-polls the emulator, the update queue hands both
    presses to concurrent workers, and the database lets one through."""
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        assert h.app.updater is not None
        await h.app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            _twice(alex, "✅ Done")
            await h.fake.wait_for(
                lambda: len(alex.callback_answers()) >= 2 and "Side: right leg" in h.last_text(alex),
                timeout=10,
            )
            await asyncio.wait_for(h.app.update_queue.join(), 10)
        finally:
            await h.app.updater.stop()
        assert [r[1:] for r in await _results(db)] == [("knees_to_chest", "left", "done")]
        assert h.errors == []
        await assert_invariants(db)


# --------------------------------------------------------------------------- 4. database faults (PostgreSQL)

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
        report = await dispatch_due(h.app.bot, h.deps)
        assert (report.sent, report.errors) == (1, [])
        assert "Time to stretch" in h.last_text(alex)
        assert h.errors == []
        await assert_invariants(pg_db)


async def test_connection_killed_inside_a_write_is_reported_never_dropped(pg_db: Database) -> None:
    """The bot's connection dies between the step's compare-and-set and the commit: the
    transaction is lost, the user is told, and /stretch -> Continue redoes it exactly once."""
    async with running_bot(pg_db) as h:
        alex = h.user()
        await _start_session(h, alex)
        killed: list[int] = []
        methods = h.fake._methods
        real_edit = methods["editmessagetext"]

        async def edit_then_kill(params: dict[str, Any], files: Any) -> Any:
            if not killed:
                killed.append(await kill_bot_connections(pg_db.url))
            return await real_edit(params, files)

        methods["editmessagetext"] = edit_then_kill  # runs inside the handler's transaction
        await h.press(alex, "✅ Done")
        methods["editmessagetext"] = real_edit
        assert killed and killed[0] >= 1
        assert len(h.errors) == 1
        assert h.last_text(alex) == texts.ERROR
        assert await _results(pg_db) == []
        assert await _sessions(pg_db) == [("open", "exercise", 0)]
        h.errors.clear()

        await h.say(alex, "/stretch")
        await h.press(alex, "▶️ Continue")
        assert "Side: left leg" in h.last_text(alex)
        await h.press(alex, "✅ Done")
        assert [r[1:] for r in await _results(pg_db)] == [("knees_to_chest", "left", "done")]
        assert await _sessions(pg_db) == [("open", "exercise", 1)]
        assert h.errors == []
        await assert_invariants(pg_db)


async def test_connection_killed_while_a_reminder_is_sent(pg_db: Database) -> None:
    """The claim is committed before the send; the connections die during the send; the
    outcome is still stored (pre-ping gives a fresh connection) and nothing goes out twice."""
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
        report = await dispatch_due(h.app.bot, h.deps)
        methods["sendmessage"] = real_send
        assert killed and killed[0] >= 1
        assert (report.sent, report.errors) == (1, [])
        again = await dispatch_due(h.app.bot, h.deps)
        assert again.claimed == 0
        assert sum("Time to stretch" in t for t in _bot_texts(alex)) == 1
        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None and user.next_reminder_at > due
        async with pg_db.session() as s:
            statuses = (await s.execute(text("SELECT status FROM reminder_log"))).scalars().all()
        assert statuses == ["sent"]
        assert h.errors == []
