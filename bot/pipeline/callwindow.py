"""The last gate before Telegram: at most N counted calls in any one second, timed when
each call actually leaves.

The sender paces by when it *schedules* a delivery, but a delivery may first read a card's
message id or a picture's file id, so calls scheduled a few hundred ms apart can leave
together (seen: 25 scheduled in a second, 27 arriving in one; a 429 once in 16 benchmark
rounds). Counting here, where the request is made, keeps the bot under Telegram's ~30/s
whatever happens before. A PTB rate limiter, so it wraps every Bot API call in one place.
Waiting calls go by urgency: a reply's edit is not queued behind reminders that bunched up.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
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


# How urgent the Bot API calls of the running task are (lower first): the sender sets it
# to the effect's priority, so a reply's edit waiting here goes before queued reminders.
# Calls made outside the sender (getMe, set-up) count as most urgent.
priority: contextvars.ContextVar[int] = contextvars.ContextVar("call_priority", default=0)


class CallWindow(BaseRateLimiter[None]):
    def __init__(self, per_second: int) -> None:
        self.per_second = max(1, per_second)
        self._sent: deque[float] = deque()
        # Calls waiting for a slot: (priority, arrival, future), best first. Arrival order
        # within a priority; one task hands out slots as they free.
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = 0
        self._handing_out: asyncio.Task[None] | None = None
        self.waited = 0  # calls that had to wait for the window (for tests and benchmarks)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        """No slots are handed out any more: a call still waiting is cancelled, not left
        hanging (its delivery stays in the outbox for the next start)."""
        if self._handing_out is not None:
            self._handing_out.cancel()
        for _, _, slot in self._waiting:
            slot.cancel()
        self._waiting.clear()

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
            await self._take(priority.get())
        return await callback(*args, **kwargs)

    def _room(self, now: float) -> float:
        """Seconds until a slot frees (0: one is free now)."""
        sent = self._sent
        while sent and sent[0] <= now - 1.0 - MARGIN:
            sent.popleft()
        return 0.0 if len(sent) < self.per_second else sent[0] + 1.0 + MARGIN - now

    async def _take(self, urgency: int) -> None:
        loop = asyncio.get_running_loop()
        if not self._waiting and self._room(loop.time()) == 0.0:
            self._sent.append(loop.time())
            return
        self.waited += 1
        slot: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (urgency, self._arrivals, slot))
        self._arrivals += 1
        if self._handing_out is None or self._handing_out.done():
            self._handing_out = loop.create_task(self._hand_out(), name="call-window")
        await slot

    async def _hand_out(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            wait = self._room(loop.time())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            _, _, slot = heapq.heappop(self._waiting)
            if not slot.done():  # a caller that gave up (cancelled) takes no slot
                self._sent.append(loop.time())
                slot.set_result(None)
