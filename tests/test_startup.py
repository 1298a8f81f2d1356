"""Operating the real process (`python -m bot`) against the Bot API emulator over HTTP.

Each known start-up failure ends in one line that says what to do, with its documented
exit code and no traceback (unless LOG_LEVEL=DEBUG); a second poller is caught; health and
metrics are served in both modes; readiness follows the database (PostgreSQL); and no log
line carries the token, or, at any level, what a person wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.botproc import TOKEN, BotProcess, emulator, start_bot, wait_until_polling
from tests.conftest import PG_ENV, pg_url
from tgemu import FakeTelegram

EXIT = {"config": 2, "database": 3, "telegram": 4, "port": 5, "conflict": 6}
SECRET_PART = TOKEN.split(":", 1)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlite_url(tmp_path: Path, name: str = "bot") -> str:
    return f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3"


async def finished(bot: BotProcess, timeout: float = 60.0) -> tuple[int, str]:
    """Wait for the process to exit by itself; its exit code and everything it printed."""
    try:
        await asyncio.wait_for(bot.process.wait(), timeout)
    except TimeoutError:
        await bot.stop()
        raise AssertionError(f"the bot did not exit by itself:\n{bot.log()[-3000:]}") from None
    assert bot.process.returncode is not None
    return bot.process.returncode, bot.log()


def assert_one_clear_line(output: str, *needles: str) -> str:
    """Exactly one `stretch-coach:` line, the last one, saying `needles`; no traceback; no token."""
    lines = [line for line in output.splitlines() if line.startswith("stretch-coach:")]
    assert len(lines) == 1, output
    assert output.rstrip().splitlines()[-1] == lines[0], output
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in output, output
    assert SECRET_PART not in output, output
    return lines[0]


async def wait_http(url: str, status: int, timeout: float = 30.0) -> httpx.Response:
    """GET `url` until it answers `status` (bounded); the last answer."""
    last: httpx.Response | None = None
    async with httpx.AsyncClient(timeout=5.0) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                last = await client.get(url)
                if last.status_code == status:
                    return last
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status}; last: {last and (last.status_code, last.text)}")


def metric(text: str, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    raise AssertionError(f"{name} not in /metrics")


# --------------------------------------------------------------------------- start-up failures


async def test_missing_token_is_a_config_error(tmp_path: Path) -> None:
    bot = await start_bot("http://127.0.0.1:9/bot", sqlite_url(tmp_path), tmp_path, BOT_TOKEN="")
    code, output = await finished(bot)
    assert code == EXIT["config"]
    assert_one_clear_line(output, "BOT_TOKEN is not set", "@BotFather")


async def test_no_network_is_one_line_and_exit_4(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there: connection refused, like no route to Telegram
    bot = await start_bot(f"http://127.0.0.1:{closed}/bot", sqlite_url(tmp_path), tmp_path)
    code, output = await finished(bot)
    assert code == EXIT["telegram"]
    assert_one_clear_line(output, "cannot reach Telegram", "Check the network")


async def test_network_failing_after_the_first_call_prints_no_ptb_traceback(tmp_path: Path) -> None:
    """getMe answers, then the network fails (PTB's bootstrap deleteWebhook): PTB logged a
    100-line traceback before our line; now only our line, and the traceback only at DEBUG."""
    async with emulator() as (fake, base_url):
        fake.fail_next("deleteWebhook", 502)
        bot = await start_bot(base_url, sqlite_url(tmp_path), tmp_path)
        code, output = await finished(bot)
        assert code == EXIT["telegram"]
        assert_one_clear_line(output, "cannot reach Telegram", "Bad Gateway")

        fake.fail_next("deleteWebhook", 502)
        bot = await start_bot(base_url, sqlite_url(tmp_path), tmp_path, name="debug", LOG_LEVEL="DEBUG")
        code, output = await finished(bot)
        assert code == EXIT["telegram"]
        assert "Traceback" in output and "NetworkError: Bad Gateway" in output
        assert SECRET_PART not in output


async def test_revoked_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    async with emulator() as (fake, base_url):
        fake.revoke(TOKEN)
        bot = await start_bot(base_url, sqlite_url(tmp_path), tmp_path)
        code, output = await finished(bot)
    assert code == EXIT["telegram"]
    assert_one_clear_line(output, "rejected BOT_TOKEN", "@BotFather")


async def test_token_revoked_while_polling_stops_the_process(tmp_path: Path) -> None:
    async with emulator() as (fake, base_url):
        bot = await start_bot(base_url, sqlite_url(tmp_path), tmp_path)
        await wait_until_polling(fake)
        fake.revoke(TOKEN)
        fake.release_pollers()  # the waiting long poll returns; the next one meets the 401
        code, output = await finished(bot)
    assert code == EXIT["telegram"]
    assert_one_clear_line(output, "no longer accepts BOT_TOKEN", "@BotFather")


async def test_unreachable_database_is_one_line_and_exit_3(tmp_path: Path) -> None:
    closed = free_port()
    bot = await start_bot(
        "http://127.0.0.1:9/bot", f"postgresql://bot:hunter2@127.0.0.1:{closed}/stretch", tmp_path
    )
    code, output = await finished(bot)
    assert code == EXIT["database"]
    line = assert_one_clear_line(output, "cannot reach the database", "Check DATABASE_URL")
    assert "hunter2" not in output and "***" in line  # the password is never printed

    bot = await start_bot(
        "http://127.0.0.1:9/bot", f"sqlite:///{tmp_path}/no/such/folder/bot.sqlite3", tmp_path, name="sqlite"
    )
    code, output = await finished(bot)
    assert code == EXIT["database"]
    assert_one_clear_line(output, "cannot reach the database", "folder exists")


async def test_migration_failure_is_one_line_and_exit_3(tmp_path: Path) -> None:
    """A database migrated by a newer version (a revision this code does not know)."""
    path = tmp_path / "newer.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    bot = await start_bot("http://127.0.0.1:9/bot", f"sqlite:///{path}", tmp_path)
    code, output = await finished(bot)
    assert code == EXIT["database"]
    assert_one_clear_line(output, "migrating the database", "9999_from_the_future", "restore a backup")


@pytest.mark.parametrize("mode", ["webhook", "run"])
async def test_port_in_use_is_one_line_and_exit_5(tmp_path: Path, mode: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        bot = await start_bot(
            "http://127.0.0.1:9/bot",
            sqlite_url(tmp_path),
            tmp_path,
            mode,
            PORT=str(port),
            LISTEN="127.0.0.1",
            WEBHOOK_URL="https://bot.example.com/telegram",
            WEBHOOK_SECRET="s3cret-s3cret",
        )
        code, output = await finished(bot)
    assert code == EXIT["port"]
    assert_one_clear_line(output, f"cannot listen on 127.0.0.1:{port}", "set PORT to a free port")


# --------------------------------------------------------------------------- two pollers


async def test_a_second_poller_exits_and_the_first_keeps_serving(tmp_path: Path) -> None:
    """Telegram ends the older long poll with 409 when another process polls, so both see
    conflicts. The one that sees it right after it started is the newcomer: it exits with
    code 6; the first process warns once and keeps answering."""
    window = {"POLL_CONFLICT_WINDOW_SECONDS": "5"}
    async with emulator() as (fake, base_url):
        first = await start_bot(base_url, sqlite_url(tmp_path, "first"), tmp_path, name="first", **window)
        try:
            await wait_until_polling(fake)
            await asyncio.sleep(6)  # the first process has now polled for longer than the window
            second = await start_bot(
                base_url, sqlite_url(tmp_path, "second"), tmp_path, name="second", **window
            )
            code, output = await finished(second)
            assert code == EXIT["conflict"]
            assert_one_clear_line(output, "another process is already polling with this token", "the newer")
            assert output.count("WARNING") == 1, output

            person = fake.user(4242, "Alex")
            person.send_command("/start")
            await fake.wait_for(
                lambda: bool(person.bot_messages()), timeout=30, what="the first bot's answer"
            )
        finally:
            assert await first.stop() == 0
        log = first.log()
        warnings = [line for line in log.splitlines() if "WARNING" in line]
        assert len(warnings) == 1 and "keeps polling" in warnings[0], log
        assert "Traceback" not in log and " ERROR " not in log, log


# --------------------------------------------------------------------------- health and metrics


@asynccontextmanager
async def polling_bot(
    fake: FakeTelegram, base_url: str, database_url: str, tmp_path: Path, **env: str
) -> AsyncIterator[tuple[BotProcess, str]]:
    port = free_port()
    bot = await start_bot(base_url, database_url, tmp_path, PORT=str(port), LISTEN="127.0.0.1", **env)
    try:
        await wait_until_polling(fake)
        yield bot, f"http://127.0.0.1:{port}"
    finally:
        assert await bot.stop() == 0, bot.log()[-3000:]


async def test_polling_serves_health_and_metrics_on_port(tmp_path: Path) -> None:
    async with (
        emulator() as (fake, base_url),
        polling_bot(fake, base_url, sqlite_url(tmp_path), tmp_path) as (
            _,
            http,
        ),
    ):
        live = await wait_http(f"{http}/healthz", 200)
        assert live.json()["ok"] is True
        ready = await wait_http(f"{http}/readyz", 200)
        checks = ready.json()["checks"]
        assert set(checks) == {"database", "updates", "reminders"}
        assert checks["updates"]["mode"] == "polling"
        person = fake.user(4242, "Alex")
        person.send_command("/start")
        await fake.wait_for(lambda: bool(person.bot_messages()), timeout=30, what="the answer")
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{http}/metrics")).text
        assert metric(text, "stretch_coach_updates_handled_total") == 1
        assert metric(text, "stretch_coach_database_up") == 1


async def test_webhook_mode_serves_health_and_metrics_on_the_same_server(tmp_path: Path) -> None:
    port = free_port()
    secret = "s3cret-s3cret"
    async with emulator() as (fake, base_url):
        bot = await start_bot(
            base_url,
            sqlite_url(tmp_path),
            tmp_path,
            "webhook",
            PORT=str(port),
            LISTEN="127.0.0.1",
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            WEBHOOK_SECRET=secret,
        )
        http = f"http://127.0.0.1:{port}"
        try:
            ready = await wait_http(f"{http}/readyz", 200)
            assert ready.json()["checks"]["updates"] == {"ok": True, "mode": "webhook", "server": "up"}
            person = fake.user(4242, "Alex")
            update = {
                "update_id": 900_000_001,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": person.chat_id, "type": "private"},
                    "from": {"id": person.user_id, "is_bot": False, "first_name": "Alex"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            async with httpx.AsyncClient() as client:
                posted = await client.post(
                    f"{http}/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
                )
                assert posted.status_code == 200
                await fake.wait_for(lambda: bool(person.bot_messages()), timeout=30, what="the answer")
                text = (await client.get(f"{http}/metrics")).text
            assert metric(text, "stretch_coach_updates_handled_total") == 1
        finally:
            assert await bot.stop() == 0, bot.log()[-3000:]


@pytest.mark.skipif(pg_url() is None, reason=f"needs PostgreSQL: set {PG_ENV}")
async def test_readiness_turns_unready_without_the_database_and_ready_again(tmp_path: Path) -> None:
    """The bot's own database is taken away (connections refused and ended) and given back;
    the shared server keeps running."""
    import asyncpg

    server = os.environ[PG_ENV].strip()
    server = server.replace("postgresql+asyncpg://", "postgresql://").replace("postgres://", "postgresql://")
    base, _, _ = server.rpartition("/")
    name = f"test_ops_ready_{os.getpid()}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with (
            emulator() as (fake, base_url),
            polling_bot(fake, base_url, f"{base}/{name}", tmp_path) as (
                bot,
                http,
            ),
        ):
            assert (await wait_http(f"{http}/readyz", 200)).json()["checks"]["database"] == {"ok": True}

            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            down = await wait_http(f"{http}/readyz", 503)
            assert down.json()["checks"]["database"]["ok"] is False
            async with httpx.AsyncClient() as client:
                scrape = (await client.get(f"{http}/metrics")).text
            assert metric(scrape, "stretch_coach_database_up") == 0

            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            up = await wait_http(f"{http}/readyz", 200)
            assert up.json()["checks"]["database"] == {"ok": True}
            assert bot.process.returncode is None  # it rode it out
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# --------------------------------------------------------------------------- logs


async def _chat(fake: FakeTelegram, words: str) -> None:
    """A person who says something personal, in a chat the bot answers."""
    person = fake.user(4242, "Quillonette")
    person.send_command("/start")
    await fake.wait_for(lambda: bool(person.bot_messages()), timeout=30, what="the welcome")
    seen = len(person.bot_messages())
    person.send_text(words)
    await fake.wait_for(lambda: len(person.bot_messages()) > seen, timeout=30, what="the reply")


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_logs_never_carry_the_token_or_what_a_person_wrote(tmp_path: Path, level: str) -> None:
    words = "Zorblax-7731 my back has hurt since the accident"
    async with (
        emulator() as (fake, base_url),
        polling_bot(fake, base_url, sqlite_url(tmp_path), tmp_path, LOG_LEVEL=level) as (bot, _),
    ):
        await _chat(fake, words)
        await asyncio.sleep(0.5)  # the last lines reach the log file
    log = bot.log()
    assert log.strip()
    assert TOKEN not in log and SECRET_PART not in log
    assert "Zorblax" not in log and "Quillonette" not in log
    if level == "INFO":
        handled = [line for line in log.splitlines() if "from user 4242 handled" in line]
        assert len(handled) == 2, log  # one line per update, with the user's id
    else:
        assert "Calling Bot API endpoint `sendMessage` (parameters not logged)" in log
        assert "HTTP Request: POST" in log and "<BOT_TOKEN>" in log  # the URLs, redacted


async def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    async with (
        emulator() as (fake, base_url),
        polling_bot(fake, base_url, sqlite_url(tmp_path), tmp_path, LOG_FORMAT="json") as (bot, _),
    ):
        await _chat(fake, "hello there")
        await asyncio.sleep(0.5)
    lines = [line for line in bot.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    handled = [r for r in records if r.get("update_id") and r["logger"] == "bot.pipeline.worker"]
    assert len(handled) == 2 and all(r["user_id"] == 4242 for r in handled)
    assert "hello there" not in bot.log()


async def test_json_mode_reports_a_start_up_failure_as_one_json_line(tmp_path: Path) -> None:
    closed = free_port()
    bot = await start_bot(f"http://127.0.0.1:{closed}/bot", sqlite_url(tmp_path), tmp_path, LOG_FORMAT="json")
    code, output = await finished(bot)
    assert code == EXIT["telegram"]
    last = json.loads(output.strip().splitlines()[-1])
    assert last["level"] == "CRITICAL" and last["exit_code"] == EXIT["telegram"]
    assert "cannot reach Telegram" in last["message"]
    assert "Traceback" not in output
