"""Local Telegram Bot API emulator for tests, the console demo and benchmarks."""

from bot.emulator.core import FakeTelegram, tiny_png
from bot.emulator.request import EmulatorRequest
from bot.emulator.server import file_url, start_server
from bot.emulator.user import ChatMessage, TelegramUser

__all__ = [
    "ChatMessage",
    "EmulatorRequest",
    "FakeTelegram",
    "TelegramUser",
    "file_url",
    "start_server",
    "tiny_png",
]
