"""Hold timers: a countdown on the live card, then "time's up" and the next step.

A timer is a JobQueue job in the process that started it; the session row keeps
`hold_until`, so when that process is gone (a restart, a second process), the sweep
finishes holds that are over. Both paths run the same flow, which moves the session with
a compare-and-set: a hold ends once, whichever fires first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from bot.flows import session as session_flow
from bot.flows.context import FlowContext, HoldTimer
from bot.pipeline.worker import Worker

log = logging.getLogger(__name__)

TICK_SECONDS = 10  # a countdown edit every 10 s stays far inside Telegram's edit limits
SWEEP_GRACE = timedelta(seconds=2)
# What JobQueue.run_once calls: an async function of the job's context.
Job = Callable[[Any], Coroutine[Any, Any, None]]


class Timers:
    def __init__(self, job_queue: JobQueue[Any] | None, worker: Worker, scale: float) -> None:
        self.job_queue = job_queue
        self.worker = worker
        self.scale = scale

    def start(self, timers: list[HoldTimer]) -> None:
        if self.job_queue is None:
            return
        for timer in timers:
            name = f"hold:{timer.session_id}:{timer.step}"
            hold = timer.seconds
            left = hold - TICK_SECONDS * self.scale
            while left > 0:
                shown = round(left / self.scale)
                self.job_queue.run_once(self._tick(timer, shown), hold - left, name=name)
                left -= TICK_SECONDS * self.scale
            self.job_queue.run_once(self._over(timer), hold, name=name)

    def _tick(self, timer: HoldTimer, seconds_left: int) -> Job:
        async def tick(_: object) -> None:
            async def flow(ctx: FlowContext) -> None:
                await session_flow.hold_tick(ctx, timer.session_id, timer.step, seconds_left)

            await self.worker.run(timer.chat_id, flow)

        return tick

    def _over(self, timer: HoldTimer) -> Job:
        async def over(_: object) -> None:
            await self.end(timer.chat_id, timer.session_id, timer.step)

        return over

    async def end(self, key: int, session_id: int, step: int) -> None:
        async def flow(ctx: FlowContext) -> None:
            await session_flow.hold_over(ctx, session_id, step)

        await self.worker.run(key, flow)

    async def sweep(self) -> int:
        """Finish holds that ended with nobody to end them (their timer died with a process)."""
        async with self.worker.db.session() as s:
            overdue = await session_flow.overdue_holds(s, self.worker.now() - SWEEP_GRACE)
        for chat_id, session_id, step in overdue:
            await self.end(chat_id, session_id, step)
        return len(overdue)
