"""Webhook mode end to end: `python -m bot webhook` as a subprocess, the emulator over HTTP.

The bot registers WEBHOOK_URL with its secret (setWebhook), serves PTB's webhook server on
a free loopback port, and processes only requests that carry the right
X-Telegram-Bot-Api-Secret-Token; anything else gets 403 and never reaches a handler.
Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.models import User
from tests.botproc import ROOT, TOKEN, BotProcess, emulator, start_bot
from tgemu import FakeTelegram

SECRET = "wh-secret_0123456789abcdefABCDEF"
PATH = "/telegram/hook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALEX, MALLORY = 51_001, 51_002


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}{PATH}"


async def start_webhook_bot(
    base_url: str,
    database_url: str,
    workdir: Path,
    port: int,
    *,
    name: str = "bot",
    webhook_url: str | None = None,
    **env: str,
) -> BotProcess:
    """`python -m bot webhook` on 127.0.0.1:`port`, registering `webhook_url` (default: itself)."""
    return await start_bot(
        base_url,
        database_url,
        workdir,
        "webhook",
        name=name,
        WEBHOOK_URL=webhook_url or local_url(port),
        WEBHOOK_SECRET=SECRET,
        PORT=str(port),
        LISTEN="127.0.0.1",
        **env,
    )


async def wait_until_serving(bot: BotProcess, port: int, timeout: float = 30.0) -> None:
    """Up when PTB's server answers on the port (it binds right after setWebhook)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            if bot.process.returncode is not None:
                pytest.fail(f"bot exited with {bot.process.returncode} before serving:\n{bot.log()}")
            try:
                async with http.get(local_url(port)) as response:
                    await response.read()
                    return  # any HTTP answer (405 for GET) means the server is up
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"bot did not serve on port {port} within {timeout}s:\n{bot.log()}")
            await asyncio.sleep(0.1)


async def post_update(port: int, payload: dict[str, Any], secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        async with http.post(local_url(port), json=payload, headers=headers) as response:
            await response.read()
            return response.status


def start_update(fake: FakeTelegram, user_id: int, first_name: str, update_id: int) -> dict[str, Any]:
    """A genuine-looking `/start` update that Telegram never sent (the emulator doesn't queue it)."""
    person = fake.user(user_id, first_name)  # the chat exists, so a reply would be visible
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9_000_001,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": person.as_json(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def count_users(db: Database, telegram_id: int | None = None) -> int:
    query = select(func.count()).select_from(User)
    if telegram_id is not None:
        query = query.where(User.telegram_id == telegram_id)
    async with db.session() as s:
        return int(await s.scalar(query) or 0)


async def wait_for_users(
    db: Database, expected: int, telegram_id: int | None = None, timeout: float = 10.0
) -> None:
    """The reply can arrive just before the handler's transaction commits: poll, bounded."""
    deadline = time.monotonic() + timeout
    while (found := await count_users(db, telegram_id)) != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {expected} user row(s) for {telegram_id or 'all'}, found {found}")
        await asyncio.sleep(0.05)


async def test_webhook_registers_and_processes_only_requests_with_the_secret(
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

            # Forged updates straight to the server: no header, a wrong one -> 403, not queued.
            forged = start_update(fake, MALLORY, "Mallory", 990_000_001)
            assert await post_update(port, forged, None) == 403
            assert await post_update(port, forged, "wrong-secret") == 403
            assert await post_update(port, forged, SECRET.upper()) == 403

            # A real user through Telegram (the emulator posts with the registered secret).
            alex = fake.user(ALEX, "Alex")
            alex.send_command("/start")
            reply = await alex.wait_reply(timeout=15)
            assert "7 gentle stretches" in (reply.text or "")
            assert fake.webhook_deliveries and all(d.status == 200 for d in fake.webhook_deliveries)

            # The 403s were final: no reply, no user row for the forged sender.
            await fake.settle(quiet=0.3, timeout=10)
            assert fake.users[MALLORY].bot_messages() == []
            await wait_for_users(db, 1, ALEX)
            assert await count_users(db, MALLORY) == 0

            # The same payload with the right secret is processed: only the secret was missing.
            assert await post_update(port, forged, SECRET) == 200
            await fake.wait_for(
                lambda: bool(fake.users[MALLORY].bot_messages()),
                timeout=15,
                what="the reply to the authorised update",
            )
            await wait_for_users(db, 1, MALLORY)
        finally:
            code = await bot.stop()
        log = bot.log()
        assert code == 0, log
        assert "Traceback" not in log, log
        assert TOKEN not in log and SECRET not in log


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
