"""The reminder dispatcher: one recurring JobQueue job, however many users there are.

Each tick makes sure one drain is running. A drain claims due users in batches (see
bot/flows/reminders.py) and hands their reminders to the sender, keeping the sender's
broadcast queue topped up rather than full: claims happen close to sending, so a
reminder is never held back by an idle gap, and the broadcast never outruns the budget
that replies leave. A drain ends when a batch comes back short (nothing more is due).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.effects import Priority
from bot.flows.reminders import ClaimReport, claim_due
from bot.pipeline import outbox
from bot.pipeline.sender import Sender
from bot.pipeline.timings import REMINDER_BUCKETS, Timings
from bot.pipeline.worker import is_transient
from config import Settings
from db.engine import Database, again_if_lost

log = logging.getLogger(__name__)


@dataclass
class DispatchStats:
    runs: int = 0
    claimed: int = 0
    late: int = 0
    db_errors: int = 0
    last_run_at: datetime | None = None
    # Seconds from a reminder's due time to its claim.
    lag: Timings = field(default_factory=lambda: Timings(REMINDER_BUCKETS))


class Dispatcher:
    def __init__(self, db: Database, settings: Settings, sender: Sender, now: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = settings
        self.sender = sender
        self.now = now
        self.stats = DispatchStats()
        rate = settings.send_rate_per_second
        # Keep about this many seconds of reminders queued: enough to never run dry between
        # claims, little enough that a claim is never far ahead of its send.
        self.high_water = max(50, int(rate * 20))
        self.low_water = max(20, int(rate * 8))
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def kick(self) -> None:
        """The scheduler's tick: start a drain unless one is running."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.drain(), name="reminder-drain")

    async def stop(self, timeout: float = 5.0) -> None:
        """Let a drain finish its current claim (bounded), then end it: a claim cancelled
        halfway through its transaction makes the connection pool log an error."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except (TimeoutError, asyncio.CancelledError, Exception):
                self._task.cancel()
                try:
                    await self._task
                except (asyncio.CancelledError, Exception):
                    pass

    async def drain(self) -> None:
        try:
            while not self._stopping:
                backlog = self.sender.backlog(Priority.BROADCAST)
                if backlog > self.low_water:
                    await asyncio.sleep(0.2)
                    continue
                limit = min(self.settings.dispatch_batch_size, self.high_water - backlog)
                report = await self.run_once(limit)
                if report.selected < limit:
                    return
        except Exception as exc:
            if is_transient(exc):
                self.stats.db_errors += 1
                log.warning("reminders: database unavailable (%s); next tick retries", type(exc).__name__)
            else:
                log.exception("reminder dispatch failed")

    async def run_once(self, limit: int | None = None) -> ClaimReport:
        """One claim: due users -> reminder rows, next occurrences and outbox, committed together."""
        now = self.now()

        async def claim() -> tuple[list[outbox.Item], ClaimReport]:
            # Run twice, it claims nothing twice: a committed claim left no one due.
            async with self.db.session() as s:
                entries, report = await claim_due(
                    s, self.settings, now, limit or self.settings.dispatch_batch_size
                )
                return await outbox.add(s, entries, now), report

        items, report = await again_if_lost(claim)
        self.sender.submit(items)
        self.stats.runs += 1
        self.stats.last_run_at = now
        self.stats.claimed += report.queued
        self.stats.late += report.late
        for lag in report.lags or ():
            self.stats.lag.observe(lag)
        if report.queued or report.late:
            log.info("reminders: queued %d, skipped as late %d", report.queued, report.late)
        return report
