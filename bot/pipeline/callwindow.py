"""The last gate before Telegram: at most N counted calls in any one second, timed when
each call actually leaves.

The sender paces by when it *schedules* a delivery, but a delivery may first read a card's
message id or a picture's file id, so calls scheduled a few hundred ms apart can leave
together (seen: 25 scheduled in a second, 27 arriving in one; a 429 once in 16 benchmark
rounds). Counting here, where the request is made, keeps the bot under Telegram's ~30/s
whatever happens before. A PTB rate limiter, so it wraps every Bot API call in one place.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

# Calls that do not count against Telegram's message limits.
FREE = frozenset(
    {
        "answerCallbackQuery",
        "getMe",
        "getFile",
        "getUpdates",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "close",
        "logOut",
    }
)


# A slot frees this much after its call's second has passed: calls take different times
# from here to Telegram, and one that left first may arrive later than one that leaves now.
MARGIN = 0.05


def window_for(rate: float) -> int:
    """A little above the sender's pace (it may catch up a late turn), well under Telegram's 30."""
    return int(rate) + 2


class CallWindow(BaseRateLimiter[None]):
    def __init__(self, per_second: int) -> None:
        self.per_second = max(1, per_second)
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited = 0  # calls that had to wait for the window (for tests and benchmarks)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in FREE:
            await self._take()
        return await callback(*args, **kwargs)

    async def _take(self) -> None:
        async with self._lock:  # first come, first served
            loop = asyncio.get_running_loop()
            sent = self._sent
            while True:
                now = loop.time()
                while sent and sent[0] <= now - 1.0 - MARGIN:
                    sent.popleft()
                if len(sent) < self.per_second:
                    break
                self.waited += 1
                await asyncio.sleep(sent[0] + 1.0 + MARGIN - now)
            sent.append(now)
