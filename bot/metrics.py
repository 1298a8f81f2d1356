"""`/metrics` in Prometheus' text format, from a registry of this process's own.

Two kinds of numbers:

- **This process's counters and histograms** (updates handled, sends, 429s, reminders sent,
  latencies): read from the pipeline's stats objects at scrape time. With several processes,
  sum them (`sum(rate(...))`).
- **The database's view** (inbox and outbox backlog, overdue reminders, practice sessions by
  status): a few indexed queries per scrape, the same in every process: aggregate them with
  `max`, not `sum`. If the database does not answer within a few seconds they are left out
  and `stretch_coach_database_up` is 0.

Every name starts with `stretch_coach_`; the README's "Operating it" section lists them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, select

from bot.effects import Priority
from bot.pipeline import inbox
from bot.pipeline.dispatch import Dispatcher
from bot.pipeline.intake import Intake
from bot.pipeline.polling import PollHealth
from bot.pipeline.sender import Sender
from bot.pipeline.timings import Timings
from bot.pipeline.worker import Worker
from db.engine import Database
from db.models import OutboxEffect, PracticeSession, User

if TYPE_CHECKING:  # prometheus_client is imported on the first scrape, not at start-up
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

PREFIX = "stretch_coach_"
DB_TIMEOUT = 5.0


class Observed(Protocol):
    """What the metrics read: the runtime (bot/app.py) provides these."""

    db: Database
    worker: Worker
    intake: Intake
    sender: Sender
    dispatcher: Dispatcher
    db_errors: Counter[str]
    poll_health: PollHealth | None

    def now(self) -> datetime: ...


@dataclass
class DatabaseView:
    """What the last scrape read from the database."""

    up: bool = False
    inbox_pending: int = 0
    inbox_oldest_age: float = 0.0
    outbox_pending: int = 0
    outbox_oldest_age: float = 0.0
    overdue: int = 0
    overdue_oldest_age: float = 0.0
    sessions: dict[str, int] = field(default_factory=dict)


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite hands aggregates back without the column's processing
        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


async def read_database(db: Database, now: datetime) -> DatabaseView:
    """The shared numbers: a handful of indexed reads (the session count scans its table)."""
    view = DatabaseView()
    async with db.session() as s:
        view.inbox_pending, oldest = await inbox.backlog(s)
        view.inbox_oldest_age = _age(now, oldest)
        count, oldest_effect = (
            await s.execute(select(func.count(), func.min(OutboxEffect.created_at)))
        ).one()
        view.outbox_pending = int(count)
        view.outbox_oldest_age = _age(now, oldest_effect)
        count, oldest_due = (
            await s.execute(
                select(func.count(), func.min(User.next_reminder_at)).where(User.next_reminder_at <= now)
            )
        ).one()
        view.overdue = int(count)
        view.overdue_oldest_age = _age(now, oldest_due)
        rows = await s.execute(select(PracticeSession.status, func.count()).group_by(PracticeSession.status))
        view.sessions = {str(status): int(n) for status, n in rows}
    view.up = True
    return view


def _histogram(name: str, doc: str, timings: Timings) -> HistogramMetricFamily:
    from prometheus_client.core import HistogramMetricFamily

    buckets = [("+Inf" if bound == float("inf") else repr(bound), n) for bound, n in timings.cumulative()]
    return HistogramMetricFamily(PREFIX + name, doc, buckets=buckets, sum_value=timings.total)


class _Collector:
    def __init__(self, source: Observed) -> None:
        self.source = source
        self.database = DatabaseView()

    def describe(self) -> list[Metric]:
        return []  # names are fixed and ours alone; no need to collect at registration

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        src = self.source
        worker, sender, dispatch = src.worker.stats, src.sender.stats, src.dispatcher.stats
        sender_obj = src.sender

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(PREFIX + name, doc, value=value)

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(PREFIX + name, doc, value=value)

        # Updates
        yield counter("updates_handled", "Updates handled and committed by this process.", worker.handled)
        yield counter(
            "updates_duplicate", "Updates delivered again and ignored (already handled).", worker.duplicates
        )
        yield counter(
            "updates_failed", "Updates that failed with a bug (the user got an apology).", worker.failed
        )
        yield _histogram(
            "update_latency_seconds",
            "Seconds from an update's receipt (stored in the inbox) to the commit of what it changed.",
            worker.latency,
        )
        # Sending
        yield counter("messages_sent", "Messages sent or edited in Telegram by this process.", sender.sent)
        yield counter("callback_answers", "Button presses answered.", sender.answered)
        yield counter("send_failures", "Effects Telegram refused or that were given up on.", sender.failed)
        yield counter("send_retries", "Effects retried after a network error or a 5xx.", sender.retried)
        yield counter("telegram_429", "Times Telegram answered 429 Too Many Requests.", sender.rate_limited)
        yield counter(
            "telegram_retry_after_seconds",
            "Seconds Telegram asked to wait, summed over 429s.",
            sender.retry_after_total,
        )
        yield counter("users_blocked", "Chats found blocked (403) while sending.", sender.blocked)
        queue = GaugeMetricFamily(
            PREFIX + "sender_queue",
            "Effects queued in this process's sender, by priority.",
            labels=["priority"],
        )
        for priority in Priority:
            queue.add_metric([priority.name.lower()], sender_obj.backlog(priority))
        yield queue
        # Reminders
        yield counter(
            "reminders_due",
            "Reminders the dispatcher found due: queued for sending, or skipped as too late.",
            dispatch.claimed + dispatch.late,
        )
        yield counter(
            "reminders_late",
            "Reminders skipped because they were more than REMINDER_GRACE_MINUTES late (after downtime).",
            dispatch.late,
        )
        yield counter("reminders_sent", "Reminders Telegram accepted.", sender.reminders_sent)
        yield counter(
            "reminders_failed",
            "Reminders that did not reach their person (refused, given up, blocked).",
            sender.reminders_failed,
        )
        yield _histogram(
            "reminder_delay_seconds",
            "Seconds from a reminder's due time to Telegram accepting it.",
            sender.reminder_delay,
        )
        yield _histogram(
            "reminder_claim_lag_seconds",
            "Seconds from a reminder's due time to the dispatcher claiming it.",
            dispatch.lag,
        )
        yield counter("reminder_dispatch_runs", "Reminder claims run by this process.", dispatch.runs)
        if dispatch.last_run_at is not None:
            yield gauge(
                "reminder_dispatch_last_run_timestamp_seconds",
                "When this process last claimed due reminders (Unix time).",
                dispatch.last_run_at.timestamp(),
            )
        # Database
        errors = CounterMetricFamily(
            PREFIX + "database_errors",
            "Database operations that failed (and were retried or left for later), by component.",
            labels=["component"],
        )
        counts = Counter(src.db_errors)
        counts["updates"] += worker.db_errors
        counts["reminders"] += dispatch.db_errors
        counts["bookkeeping"] += sender.db_errors
        for component in ("updates", "reminders", "bookkeeping", "intake", "housekeeping", "probe"):
            counts.setdefault(component, 0)
        for component, n in sorted(counts.items()):
            errors.add_metric([component], n)
        yield errors
        # Polling
        poll = src.poll_health
        if poll is not None:
            calls = CounterMetricFamily(
                PREFIX + "getupdates", "getUpdates calls by outcome.", labels=["result"]
            )
            calls.add_metric(["ok"], poll.ok)
            calls.add_metric(["error"], poll.errors)
            calls.add_metric(["conflict"], poll.conflicts)
            yield calls
            if poll.last_ok_unix is not None:
                yield gauge(
                    "getupdates_last_success_timestamp_seconds",
                    "When getUpdates last succeeded (Unix time).",
                    poll.last_ok_unix,
                )
        # The database's view
        view = self.database
        yield gauge(
            "database_up", "1 if the database answered this scrape's queries.", 1.0 if view.up else 0.0
        )
        if view.up:
            yield gauge(
                "inbox_pending",
                "Updates not yet handled (stored: all processes; fetched: this one).",
                view.inbox_pending,
            )
            yield gauge(
                "inbox_oldest_pending_age_seconds",
                "Age of the oldest unhandled update.",
                view.inbox_oldest_age,
            )
            yield gauge(
                "outbox_pending", "Effects stored and not yet delivered (all processes).", view.outbox_pending
            )
            yield gauge(
                "outbox_oldest_age_seconds", "Age of the oldest undelivered effect.", view.outbox_oldest_age
            )
            yield gauge(
                "reminders_overdue",
                "Users whose reminder time has passed and who have not been claimed yet.",
                view.overdue,
            )
            yield gauge(
                "reminders_overdue_oldest_seconds",
                "How long the most overdue unclaimed reminder has been due.",
                view.overdue_oldest_age,
            )
            sessions = GaugeMetricFamily(
                PREFIX + "practice_sessions",
                "Practice sessions in the database by status (started = the sum over statuses).",
                labels=["status"],
            )
            for status in sorted({"open", "completed", "incomplete", "abandoned", *view.sessions}):
                sessions.add_metric([status], view.sessions.get(status, 0))
            yield sessions


class Metrics:
    def __init__(self, source: Observed) -> None:
        self.source = source
        self._collector = _Collector(source)
        self._registry: CollectorRegistry | None = None

    @property
    def registry(self) -> CollectorRegistry:
        """Made on first use: a bot that is never scraped never imports prometheus_client."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry

            self._registry = CollectorRegistry(auto_describe=False)
            self._registry.register(self._collector)
        return self._registry

    async def refresh(self) -> None:
        src = self.source
        try:
            view = await asyncio.wait_for(read_database(src.db, src.now()), DB_TIMEOUT)
            # Fetched by this process and not stored yet (bot/pipeline/intake.py): waiting too.
            fetched, oldest = src.intake.waiting()
            view.inbox_pending += fetched
            view.inbox_oldest_age = max(view.inbox_oldest_age, _age(src.now(), oldest))
            self._collector.database = view
        except Exception:
            src.db_errors["probe"] += 1
            self._collector.database = DatabaseView(up=False)

    async def render(self) -> tuple[bytes, str]:
        """The text exposition (and its content type), after reading the database once."""
        from prometheus_client import generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        await self.refresh()
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
