"""Local Telegram Bot API emulator for tests, the console demo and benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator.core import FakeTelegram, tiny_png
from bot.emulator.request import EmulatorRequest
from bot.emulator.user import ChatMessage, TelegramUser

if TYPE_CHECKING:
    from bot.emulator.server import file_url, start_server

__all__ = [
    "ChatMessage",
    "EmulatorRequest",
    "FakeTelegram",
    "TelegramUser",
    "file_url",
    "start_server",
    "tiny_png",
]


def __getattr__(name: str) -> Any:
    # Lazy so `python -m bot.emulator.server` does not import the server module twice.
    if name in ("start_server", "file_url"):
        from bot.emulator import server

        return getattr(server, name)
    raise AttributeError(name)
