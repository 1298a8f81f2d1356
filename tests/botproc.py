"""Run the real bot (`python -m bot ...`) as a separate process against the emulator over HTTP.

Shared by the end-to-end, crash-safety, graceful-stop and scale-out tests. The emulator
lives in the test's event loop on 127.0.0.1; the bot only knows it through configuration.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tgemu import FakeTelegram, file_url, start_server

TOKEN = "123456789:E2EtokenE2EtokenE2EtokenE2EtokenE2E"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

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
