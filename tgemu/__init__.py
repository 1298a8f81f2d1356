"""Local Telegram Bot API emulator for tests, the console demo and benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tgemu.core import FakeTelegram, tiny_png
from tgemu.request import EmulatorRequest
from tgemu.user import ChatMessage, TelegramUser

if TYPE_CHECKING:
    from tgemu.server import file_url, start_server

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
    # Lazy so `python -m tgemu.server` does not import the server module twice.
    if name in ("start_server", "file_url"):
        from tgemu import server

        return getattr(server, name)
    raise AttributeError(name)
