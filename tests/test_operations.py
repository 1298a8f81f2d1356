"""Operating the bot, in process: /metrics after a journey and a reminder run, readiness,
what logs and error reports may carry (never the token, never what a person wrote)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from bot.logging_setup import (
    REDACTED,
    USER_TEXT,
    CalmTelegramErrors,
    JsonFormatter,
    add_secret,
    redact,
    user_text,
)
from bot.pipeline.timings import Timings
from bot.pipeline.webserver import build_web_app
from db.engine import Database
from db.models import InboxUpdate, User
from tests.harness import TOKEN, Harness, running_bot


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by (name, sorted labels)."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


class Scraper:
    """GET /metrics and the probes through the real web app (the route the operator scrapes)."""

    def __init__(self, h: Harness) -> None:
        runtime = h.runtime
        app = build_web_app(
            bot=runtime.bot,
            accept=None,
            path="/",
            secret="x",
            liveness=runtime.liveness,
            readiness=runtime.readiness,
            metrics=runtime.metrics_text,
        )
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return samples(response.text)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)


async def _handled_in_inbox(db: Database) -> int:
    async with db.session() as s:
        n = await s.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_not(None))
        )
        return int(n or 0)


async def _complete_session(h: Harness, user: Any) -> None:
    from bot.domain.routine import STEPS

    await h.press(user, "▶️ Start now")
    await h.press(user, "3")
    for _ in STEPS:
        await h.press(user, "✅ Done")
    await h.press(user, "2")


async def test_metrics_move_by_what_happened_in_a_journey_and_a_reminder_run(db: Database) -> None:
    """After three people onboard, one practises, a 429 and a reminder run (one sent, one to
    a person who blocked the bot, one past the grace window), each counter moved by exactly that."""
    async with running_bot(db, reminder_grace_minutes=10) as h:
        scraper = Scraper(h)
        before = await scraper.metrics()
        inbox_before = await _handled_in_inbox(db)
        answers_before = len(h.fake.callback_answers)

        alex, blake, casey = h.user(1001, "Alex"), h.user(1002, "Blake"), h.user(1003, "Casey")
        for person in (alex, blake, casey):
            await h.onboard(person)  # reminders at 08:00 Berlin = 07:00 UTC
        await _complete_session(h, alex)
        for person in (blake, casey):
            await h.press(person, "Wait for my reminder")
        # Telegram says "slow down" once: retried after retry_after, counted.
        h.fake.fail_next("sendMessage", 429, retry_after=1)
        await h.say(alex, "/help")

        handled = await _handled_in_inbox(db) - inbox_before
        answers = len(h.fake.callback_answers) - answers_before
        after_journey = await scraper.metrics()

        def moved(name: str, scrape: dict[Any, float] = after_journey, **labels: str) -> float:
            return value(scrape, name, **labels) - value(before, name, **labels)

        assert handled > 0
        assert moved("stretch_coach_updates_handled_total") == handled
        assert moved("stretch_coach_update_latency_seconds_count") == handled
        assert moved("stretch_coach_updates_failed_total") == 0
        assert moved("stretch_coach_callback_answers_total") == answers
        assert moved("stretch_coach_telegram_429_total") == 1
        assert moved("stretch_coach_telegram_retry_after_seconds_total") == 1
        assert moved("stretch_coach_practice_sessions", status="completed") == 1
        assert moved("stretch_coach_practice_sessions", status="open") == 0
        assert value(after_journey, "stretch_coach_inbox_pending") == 0
        assert value(after_journey, "stretch_coach_outbox_pending") == 0
        assert value(after_journey, "stretch_coach_database_up") == 1

        # The reminder run: Alex due 30 s ago; Casey blocked the bot (Telegram answers 403);
        # Blake's reminder was due two hours ago, past the 10-minute grace window.
        alex_row = await h.db_user(alex.user_id)
        assert alex_row is not None and alex_row.next_reminder_at is not None
        due = alex_row.next_reminder_at
        h.now = due + timedelta(seconds=30)
        async with db.session() as s:
            await s.execute(
                update(User)
                .where(User.telegram_id == blake.user_id)
                .values(next_reminder_at=due - timedelta(hours=2))
            )
        h.fake.block(casey.user_id, notify=False)
        overdue = await scraper.metrics()
        assert value(overdue, "stretch_coach_reminders_overdue") == 3
        assert value(overdue, "stretch_coach_reminders_overdue_oldest_seconds") == 2 * 3600 + 30

        await h.dispatch()
        after = await scraper.metrics()
        assert moved("stretch_coach_reminders_due_total", after) == 3
        assert moved("stretch_coach_reminders_late_total", after) == 1
        assert moved("stretch_coach_reminders_sent_total", after) == 1
        assert moved("stretch_coach_reminders_failed_total", after) == 1
        assert moved("stretch_coach_users_blocked_total", after) == 1
        assert moved("stretch_coach_reminder_dispatch_runs_total", after) >= 1
        # Alex's reminder went out 30 s after it was due: in the 30 s bucket, not the 15 s one.
        assert moved("stretch_coach_reminder_delay_seconds_count", after) == 1
        assert moved("stretch_coach_reminder_delay_seconds_sum", after) == 30
        assert moved("stretch_coach_reminder_delay_seconds_bucket", after, le="15.0") == 0
        assert moved("stretch_coach_reminder_delay_seconds_bucket", after, le="30.0") == 1
        assert value(after, "stretch_coach_reminders_overdue") == 0
        assert "Alex" not in str(after)  # names and texts are never labels
        assert h.errors == []


async def test_inbox_backlog_and_its_age_show_until_the_update_is_handled(db: Database) -> None:
    async with running_bot(db) as h:
        scraper = Scraper(h)
        alex = h.user()
        alex.send_command("/start")
        stored = await h.runtime.bot.get_updates(timeout=0)  # stored in the inbox, not yet handled
        assert len(stored) == 1
        h.advance(seconds=42)
        waiting = await scraper.metrics()
        assert value(waiting, "stretch_coach_inbox_pending") == 1
        assert value(waiting, "stretch_coach_inbox_oldest_pending_age_seconds") == 42
        await h.runtime.worker.handle(stored[0])
        await h.runtime.sender.drain()
        done = await scraper.metrics()
        assert value(done, "stretch_coach_inbox_pending") == 0
        # Receipt to commit: 42 s on the harness clock, counted in the 60 s bucket.
        assert value(done, "stretch_coach_update_latency_seconds_bucket", le="30.0") == 0
        assert value(done, "stretch_coach_update_latency_seconds_bucket", le="60.0") == 1


async def test_readiness_reports_each_check_and_fails_without_the_database(db: Database) -> None:
    async with running_bot(db) as h:
        scraper = Scraper(h)
        live = await scraper.get("/healthz")
        assert live.status_code == 200 and live.json()["ok"] is True
        # The harness fetches updates itself: polling never started, so not ready.
        ready = await scraper.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"] == {"ok": True}
        assert checks["updates"]["ok"] is False
        await h.runtime.bot.get_updates(timeout=0)
        assert h.runtime.poll_health is not None
        h.runtime.poll_health.started = h.runtime.poll_health.last_ok
        assert (await scraper.get("/readyz")).status_code == 200
        assert (await scraper.get("/healthz?ready")).status_code == 200

        # The database goes away (here: the engine points at a file that cannot be opened).
        broken = Database("sqlite+aiosqlite:////nonexistent-folder/x.sqlite3")
        h.runtime.db = broken
        try:
            down = await scraper.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"]["ok"] is False
            scrape = await scraper.metrics()
            assert value(scrape, "stretch_coach_database_up") == 0
            assert value(scrape, "stretch_coach_database_errors_total", component="probe") >= 2
        finally:
            h.runtime.db = db
            await broken.dispose()
        assert (await scraper.get("/readyz")).status_code == 200


async def test_a_second_poller_is_told_apart_from_the_first(db: Database) -> None:
    """The conflict logic alone: who started within the window stops when the 409 repeats."""
    from telegram.error import Conflict

    async with running_bot(db, poll_conflict_window_seconds=30) as h:
        runtime = h.runtime
        health = runtime.poll_health
        assert health is not None
        conflict = Conflict("Conflict: terminated by other getUpdates request")
        # The older process: polling for an hour, meets the conflict, warns and carries on.
        health.started = 0.0
        runtime.observe_poll(conflict)
        runtime.observe_poll(conflict)
        assert runtime.failure is None and not health.newcomer
        runtime.observe_poll(None)
        assert health.conflict_since is None
        # The newcomer: one 409 right after starting (the old process's last call) is forgiven...
        import time

        health.started = time.monotonic()
        runtime.observe_poll(conflict)
        assert runtime.failure is None and health.newcomer
        runtime.observe_poll(None)
        runtime.observe_poll(conflict)
        assert runtime.failure is None
        # ...a second in a row is another poller: it stops, exit code 6.
        runtime.observe_poll(conflict)
        assert runtime.failure is not None and runtime.failure.kind == "conflict"
        assert runtime.failed.is_set()


def test_timings_buckets_are_cumulative_like_prometheus() -> None:
    timings = Timings((1.0, 5.0))
    for seconds in (0.5, 1.0, 3.0, 9.0):
        timings.observe(seconds)
    assert timings.cumulative() == [(1.0, 2), (5.0, 3), (float("inf"), 4)]
    assert timings.count == 4 and timings.total == 13.5


# --------------------------------------------------------------------------- logs


@pytest.fixture
def scrubbing() -> Iterator[None]:
    add_secret(TOKEN)
    yield


def _update(text: str) -> Any:
    from telegram import Update

    return Update.de_json(
        {
            "update_id": 7,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "Marguerite"},
                "text": text,
            },
        },
        None,
    )


def test_a_traceback_quoting_what_the_person_wrote_is_scrubbed(
    scrubbing: None, caplog: pytest.LogCaptureFixture
) -> None:
    secret_words = "my sciatic nerve hurts since the divorce"
    log = logging.getLogger("bot.test")
    with caplog.at_level(logging.INFO), user_text(_update(secret_words)):
        try:
            raise ValueError(f"cannot parse {secret_words!r} for Marguerite with {TOKEN}")
        except ValueError:
            log.exception("update 7 failed")
        log.info("echo: %s", secret_words)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert secret_words not in text and "Marguerite" not in text and TOKEN not in text
    assert USER_TEXT in text and REDACTED in text and "ValueError" in text
    # Outside the update, nothing is replaced.
    assert redact("my sciatic nerve hurts since the divorce") == secret_words


def test_ptb_debug_records_lose_their_payload(scrubbing: None, caplog: pytest.LogCaptureFixture) -> None:
    update = _update("a private message about my back")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("telegram.Bot").debug(
            "Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates", [update.to_dict()]
        )
        logging.getLogger("telegram.Bot").debug(
            "Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", {"text": "a private message"}
        )
        logging.getLogger("telegram.ext.Application").debug("Processing update %s", update)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Call to Bot API endpoint `getUpdates` finished (result not logged)",
        "Calling Bot API endpoint `sendMessage` (parameters not logged)",
        "Processing update 7 (contents not logged)",
    ]


def test_telegram_tracebacks_become_one_line_below_debug() -> None:
    from telegram.error import NetworkError

    calm = CalmTelegramErrors()

    def record(message: str) -> logging.LogRecord:
        try:
            raise NetworkError("Bad Gateway")
        except NetworkError:
            import sys

            return logging.LogRecord(
                "telegram.ext", logging.ERROR, __file__, 1, message, None, sys.exc_info()
            )

    aborting = record("Network Retry Loop (Bootstrap delete Webhook): Failed run number 0 of 0. Aborting.")
    assert calm.filter(aborting) is False  # raised to us, and we say it once
    retrying = record("Error while calling `get_updates` one more time")
    assert calm.filter(retrying) is True
    assert retrying.exc_info is None and retrying.getMessage().endswith("(NetworkError: Bad Gateway)")


def test_json_lines_carry_ids_and_the_traceback_in_one_line(scrubbing: None) -> None:
    try:
        raise RuntimeError(f"boom {TOKEN}")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "bot.pipeline.worker", logging.ERROR, __file__, 1, "update %s failed", (9,), sys.exc_info()
        )
    record.update_id, record.user_id = 9, 1001
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "update 9 failed" and data["level"] == "ERROR"
    assert data["update_id"] == 9 and data["user_id"] == 1001
    assert data["exc_type"] == "RuntimeError" and "Traceback" in data["exc"]
    assert TOKEN not in line


# --------------------------------------------------------------------------- error reports


def test_error_reports_carry_neither_the_token_nor_what_the_person_wrote(scrubbing: None) -> None:
    sentry_sdk = pytest.importorskip("sentry_sdk")
    from sentry_sdk.transport import Transport

    from bot.error_reporting import init_error_reporting
    from config import load_settings

    class Keep(Transport):
        def __init__(self) -> None:
            super().__init__()
            self.envelopes: list[bytes] = []

        def capture_envelope(self, envelope: Any) -> None:
            self.envelopes.append(envelope.serialize())

    kept = Keep()
    settings = load_settings(bot_token=TOKEN, sentry_dsn="https://public@sentry.invalid/1", _env_file=None)
    assert init_error_reporting(settings, transport=kept)
    try:
        words = "the pain started after I fell off my horse"
        log = logging.getLogger("bot.pipeline.worker")
        with user_text(_update(words)):
            log.info("update 7 (text) from user 5 handled in 3 ms")
            try:
                raise RuntimeError(
                    f"insert failed [parameters: ('{words}', 5)]\n(Background on this error at: x) {TOKEN}"
                )
            except RuntimeError:
                log.exception("update 7 (chat 5, user 5) failed: RuntimeError")
        sentry_sdk.flush()
        sent = b"".join(kept.envelopes).decode()
        assert "RuntimeError" in sent and "update 7 (chat 5, user 5) failed" in sent
        assert words not in sent and "Marguerite" not in sent
        assert TOKEN not in sent and TOKEN.split(":")[1] not in sent
        assert "[parameters: not sent]" in sent
    finally:
        sentry_sdk.init(dsn=None)  # reporting off for the rest of the run
