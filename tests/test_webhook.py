"""Webhook mode end to end: `python -m bot webhook` as a subprocess, the emulator over HTTP.

The bot registers WEBHOOK_URL with its secret (setWebhook) and serves the webhook itself
(Starlette under uvicorn). A request is checked before its body is read: without the
right X-Telegram-Bot-Api-Secret-Token it gets 403, over the size limit 413; neither is
stored. A genuine update is answered 200 only once it is stored in the inbox: while the
database cannot take it the webhook does not say 200, and Telegram delivers it again.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.pipeline.webserver import MAX_BODY
from db.engine import Database
from db.models import InboxUpdate, User
from tests.botproc import (
    ROOT,
    SECRET,
    TOKEN,
    emulator,
    free_port,
    local_url,
    post,
    start_webhook_bot,
    wait_until_serving,
)
from tests.conftest import admin_sql
from tgemu import FakeTelegram

ALEX, MALLORY = 51_001, 51_002
WELCOME = "7 gentle stretches"


def start_update(
    fake: FakeTelegram, user_id: int, first_name: str, update_id: int, text: str = "/start"
) -> dict[str, Any]:
    """A genuine-looking `/start` update that Telegram never sent (the emulator doesn't queue it)."""
    person = fake.user(user_id, first_name)  # the chat exists, so a reply would be visible
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9_000_001,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": person.as_json(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def stored(db: Database, *update_ids: int) -> set[int]:
    async with db.session() as s:
        rows = await s.execute(select(InboxUpdate.update_id).where(InboxUpdate.update_id.in_(update_ids)))
        return set(rows.scalars())


async def count_users(db: Database, telegram_id: int) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(select(func.count()).select_from(User).where(User.telegram_id == telegram_id)) or 0
        )


async def test_webhook_registers_and_takes_only_genuine_requests(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    async with emulator() as (fake, base_url):
        port = free_port()
        bot = await start_webhook_bot(base_url, database_url, tmp_path, port)
        try:
            await wait_until_serving(bot, port)
            # setWebhook with the configured URL and secret, and the update types we handle.
            calls = fake.calls_to("setWebhook")
            assert len(calls) == 1 and calls[0].status == 200
            assert calls[0].params["url"] == local_url(port)
            assert calls[0].params["secret_token"] == SECRET
            assert {"message", "callback_query"} <= set(calls[0].params["allowed_updates"])
            assert (fake.webhook_url, fake.webhook_secret) == (local_url(port), SECRET)

            # Forged updates straight to the server: no header, a wrong one -> 403.
            forged = start_update(fake, MALLORY, "Mallory", 990_000_001)
            assert await post(port, forged, None) == 403
            assert await post(port, forged, "wrong-secret") == 403
            assert await post(port, forged, SECRET.upper()) == 403
            # The secret is checked before the body is read: an oversized body without it is
            # refused as forged, not as too large.
            huge = start_update(fake, MALLORY, "Mallory", 990_000_002, text="/start " + "x" * MAX_BODY)
            assert await post(port, huge, "wrong-secret") == 403
            # With the secret, a body over the limit is refused, declared or streamed.
            assert await post(port, huge, SECRET) == 413

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(MAX_BODY // 65_536 + 2):
                    yield b" " * 65_536

            assert await post(port, chunks(), SECRET) == 413  # chunked: no Content-Length
            assert await post(port, b"{not json", SECRET) == 400

            # A real user through Telegram (the emulator posts with the registered secret).
            alex = fake.user(ALEX, "Alex")
            alex.send_command("/start")
            reply = await alex.wait_reply(timeout=15)
            assert WELCOME in (reply.text or "")
            assert fake.webhook_deliveries and all(d.status == 200 for d in fake.webhook_deliveries)
            assert fake.acknowledged == {d.update_id for d in fake.webhook_deliveries}

            # None of the refused requests was stored, answered or made a user.
            await fake.settle(quiet=0.3, timeout=10)
            assert await stored(db, 990_000_001, 990_000_002) == set()
            assert fake.users[MALLORY].bot_messages() == []
            assert await count_users(db, MALLORY) == 0
            assert await count_users(db, ALEX) == 1

            # The same payload with the right secret is taken: only the secret was missing.
            assert await post(port, forged, SECRET) == 200
            assert await stored(db, 990_000_001) == {990_000_001}  # stored by the time of the 200
            await fake.wait_for(
                lambda: bool(fake.users[MALLORY].bot_messages()), 15, "the reply to the authorised update"
            )
            # Posted again (Telegram redelivers): 200, and no second reply.
            assert await post(port, forged, SECRET) == 200
            await fake.settle(quiet=0.3, timeout=10)
            assert [m.text for m in fake.users[MALLORY].bot_messages()] == [
                fake.users[MALLORY].bot_messages()[0].text
            ]
            assert WELCOME in (fake.users[MALLORY].bot_messages()[0].text or "")
        finally:
            code = await bot.stop()
        log = bot.log()
        assert code == 0, log
        assert "Traceback" not in log, log
        assert TOKEN.split(":", 1)[1] not in log and SECRET not in log


@pytest.fixture(params=["sqlite", "postgresql"])
def outage_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'outage.sqlite3'}"
    return str(request.getfixturevalue("scratch_url"))


class Outage:
    """Make the bot's database unavailable, then back.

    SQLite: the test holds the write lock, so the bot's insert waits (its busy timeout is
    far longer than Telegram's patience). PostgreSQL: the database refuses connections and
    the bot's are terminated, so the insert fails at once.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self._lock: sqlite3.Connection | None = None

    def _admin(self) -> tuple[str, str]:
        """The server's maintenance database (to change this one from outside), and this one's name."""
        url = make_url(self.url)
        assert url.database is not None
        return url.set(database="postgres").render_as_string(hide_password=False), url.database

    async def begin(self) -> None:
        if self.postgres:
            admin, name = self._admin()
            await admin_sql(
                admin,
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
        else:
            path = make_url(self.url).database
            assert path is not None
            self._lock = sqlite3.connect(path, isolation_level=None, timeout=10)
            self._lock.execute("BEGIN IMMEDIATE")

    async def end(self) -> None:
        if self.postgres:
            admin, name = self._admin()
            await admin_sql(admin, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        elif self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None


async def test_webhook_says_200_only_once_the_update_is_stored(outage_database: str, tmp_path: Path) -> None:
    outage = Outage(outage_database)
    async with emulator() as (fake, base_url):
        # Telegram's patience, shortened: a second per delivery, a few quick retries.
        fake.webhook_timeout = 1.0
        fake.webhook_backoff = 0.1
        fake.webhook_retries = 10
        port = free_port()
        bot = await start_webhook_bot(base_url, outage_database, tmp_path, port)
        try:
            await wait_until_serving(bot, port)
            alex = fake.user(ALEX, "Alex")
            await outage.begin()
            try:
                alex.send_command("/start")
                await fake.wait_for(lambda: len(fake.webhook_deliveries) >= 2, 15, "two refused deliveries")
                refused = list(fake.webhook_deliveries)
                assert all(d.status != 200 for d in refused), refused
                assert fake.acknowledged == set() and len(fake.pending_updates) == 1
                assert alex.bot_messages() == []
            finally:
                await outage.end()
            # Telegram delivers it again; now it is stored, answered 200 and handled once.
            await alex.wait_reply(timeout=20)
            await fake.settle(quiet=0.5, timeout=15)
            update_id = refused[0].update_id
            assert fake.acknowledged == {update_id}
            assert fake.webhook_deliveries[-1].status == 200
            assert len(alex.bot_messages()) == 1 and WELCOME in (alex.bot_messages()[0].text or "")
            db = Database(outage_database)
            try:
                assert await stored(db, update_id) == {update_id}
                assert await count_users(db, ALEX) == 1
            finally:
                await db.dispose()
        finally:
            code = await bot.stop(signal.SIGTERM)
    log = bot.log()
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    if outage.postgres:  # the insert failed, and the webhook said so
        assert {d.status for d in refused} == {503}, refused
        assert "not stored" in log
    else:  # the insert waited on the lock past Telegram's patience
        assert all(d.status is None and "Connection failed" in (d.error or "") for d in refused), refused


def _run_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], **env: str) -> int:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    values = {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.sqlite3'}",
        # Should the check ever let it through: a closed loopback port, never real Telegram.
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "WEBHOOK_URL": "https://example.com/telegram",
        "WEBHOOK_SECRET": SECRET,
        **env,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return main(argv)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET is not set"),
        ({"WEBHOOK_SECRET": "has spaces and !"}, "WEBHOOK_SECRET may only contain"),
        ({"WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET may only contain"),
        ({"WEBHOOK_URL": ""}, "WEBHOOK_URL is not set"),
        ({"WEBHOOK_URL": "example.com/telegram"}, "WEBHOOK_URL must be a full URL"),
    ],
)
@pytest.mark.parametrize("argv", [["webhook"], ["--webhook"]])
def test_webhook_config_problems_stop_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    message: str,
    argv: list[str],
) -> None:
    assert _run_main(monkeypatch, tmp_path, argv, **env) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("stretch-coach: ") and message in err
    assert not (tmp_path / "never.sqlite3").exists()  # not even the database was touched


def test_python_m_bot_webhook_without_secret_refuses_to_start(tmp_path: Path) -> None:
    """The real command line, as the Procfile runs it: one line on stderr, exit code 2."""
    env = {
        "PATH": "/usr/bin:/bin",
        "BOT_TOKEN": TOKEN,
        "WEBHOOK_URL": "https://example.com/telegram",
        "WEBHOOK_SECRET": "",
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "webhook"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "WEBHOOK_SECRET is not set" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "never.sqlite3").exists()
