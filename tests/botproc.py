"""Run the real bot (`python -m bot ...`) as a separate process against the emulator over HTTP.

Shared by the end-to-end, crash-safety, graceful-stop, webhook and scale-out tests. The
emulator lives in the test's event loop on 127.0.0.1; the bot only knows it through
configuration. Every wait here is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tgemu import FakeTelegram, file_url, start_server

TOKEN = "123456789:E2EtokenE2EtokenE2EtokenE2EtokenE2E"
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0  # imports and migrations on a slow machine

# Webhook mode: the path the bot serves and the secret it registers.
SECRET = "wh-secret_0123456789abcdefABCDEF"
PATH = "/telegram/hook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` and wait for the exit code (SIGKILL after `timeout`)."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode


@asynccontextmanager
async def emulator() -> AsyncIterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    runner, base_url = await start_server(fake, "127.0.0.1", 0)
    try:
        yield fake, base_url
    finally:
        fake.release_pollers()
        await runner.cleanup()
        await fake.aclose()


async def start_bot(
    base_url: str, database_url: str, workdir: Path, *args: str, name: str = "bot", **env: str
) -> BotProcess:
    """Start `python -m bot *args` pointed at the emulator; returns once it is spawned."""
    full_env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_BASE_URL": base_url,
        "TELEGRAM_BASE_FILE_URL": file_url(base_url),
        "LOG_LEVEL": "INFO",
        "TIMER_SCALE": "0.02",
        "DISPATCH_INTERVAL_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    log_path = workdir / f"{name}.log"
    handle = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=str(ROOT),
        env=full_env,
        stdout=handle,
        stderr=handle,
    )
    handle.close()
    return BotProcess(process, log_path, full_env)


async def wait_until_polling(fake: FakeTelegram, timeout: float = 30.0) -> None:
    """The bot is up when it has registered its commands and asked for updates."""
    # A long poll is only logged in fake.calls when it returns (up to 10 s later): a waiting poll counts.
    await fake.wait_for(
        lambda: (
            bool(fake.calls_to("setMyCommands")) and (bool(fake.calls_to("getUpdates")) or fake.long_polling)
        ),
        timeout=timeout,
        what="the bot to start polling",
    )


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """For conditions the emulator does not signal (a subprocess's log file)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def bot_process(
    base_url: str, database_url: str, workdir: Path, *args: str, name: str = "bot", **env: str
) -> AsyncIterator[BotProcess]:
    """`start_bot`, and SIGKILL on the way out if the test left it running."""
    process = await start_bot(base_url, database_url, workdir, *args, name=name, **env)
    try:
        yield process
    finally:
        if process.running:
            await process.stop(signal.SIGKILL, 5)


# --------------------------------------------------------------------------- webhook mode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_url(port: int, path: str = PATH) -> str:
    return f"http://127.0.0.1:{port}{path}"


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
        **{
            "WEBHOOK_URL": webhook_url or local_url(port),
            "WEBHOOK_SECRET": SECRET,
            "PORT": str(port),
            "LISTEN": "127.0.0.1",
            **env,
        },
    )


async def wait_until_serving(bot: BotProcess, port: int, timeout: float = START_TIMEOUT) -> None:
    """Up when the health endpoint answers (the server starts after start-up recovery)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            if not bot.running:
                raise AssertionError(f"bot exited with {bot.process.returncode} before serving:\n{bot.log()}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    await response.read()
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if loop.time() > deadline:
                raise AssertionError(f"bot did not serve on port {port} within {timeout}s:\n{bot.log()}")
            await asyncio.sleep(0.1)


async def post(
    port: int,
    body: bytes | dict[str, Any] | AsyncIterable[bytes],
    secret: str | None = SECRET,
    *,
    path: str = PATH,
    headers: dict[str, str] | None = None,
) -> int:
    """POST to the bot's webhook as Telegram (or a forger) would; returns the HTTP status."""
    sent = dict(headers or {})
    if secret is not None:
        sent[SECRET_HEADER] = secret
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        if isinstance(body, dict):
            request = http.post(local_url(port, path), json=body, headers=sent)
        else:  # bytes, or an async iterator sent chunked (no Content-Length)
            request = http.post(local_url(port, path), data=body, headers=sent)
        async with request as response:
            await response.read()
            return response.status
