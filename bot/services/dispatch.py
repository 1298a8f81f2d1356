"""The reminder dispatcher: one recurring job, whatever the number of users.

Each run claims a batch of due users through the indexed `next_reminder_at`
column (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several bot processes can run
it at once; SQLite ignores the clause and has one writer anyway), writes a
reminder-log row whose unique key (user, occurrence) refuses a second send, and
moves the user's `next_reminder_at` a lease ahead. Sending happens after the
claim commits; each outcome is then stored: sent -> plan the next occurrence,
blocked -> stop, 429/network error -> due again soon, never lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.deps import Deps
from bot.domain.phases import HABIT_DAYS, Phase, habit_day_number, on_day_start, weekly_target
from bot.domain.schedule import local_date_of, local_today
from bot.domain.streaks import week_count
from bot.handlers.common import keyboard
from bot.services import store
from bot.services.planner import phase_state, plan_next, wants_reminders
from db.models import PracticeSession, ReminderLog, User

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 32


@dataclass
class Claim:
    user_id: int
    chat_id: int
    log_id: int
    due_at: datetime
    text: str
    checkin: bool = False


@dataclass
class DispatchReport:
    selected: int = 0
    claimed: int = 0
    sent: int = 0
    late: int = 0
    skipped_done: int = 0
    blocked: int = 0
    retry: int = 0
    errors: list[str] = field(default_factory=list)


def reminder_rows(log_id: int) -> list[list[tuple[str, str]]]:
    base = f"rm:{log_id}"
    return [
        [("▶️ Start now", f"{base}:go")],
        [("⏰ In 30 min", f"{base}:s30"), ("⏰ In 1 hour", f"{base}:s60")],
        [("Skip today", f"{base}:skip"), ("😣 Flare-up", "fl:ask")],
    ]


def _text(user: User, kind: str, counted: int, week_done: int, checkin: bool) -> str:
    if checkin:
        return "Time for your stretches 🧘 It's also check-in day: one quick question just below."
    opener = "Here's the reminder you snoozed. " if kind == "snooze" else ""
    phase = Phase(user.phase)
    if phase is Phase.HABIT:
        day = habit_day_number(counted, False)
        return f"{opener}Time to stretch 🧘 Day {day} of {HABIT_DAYS}. About 15-20 minutes on your mat."
    if phase is Phase.MAINTENANCE:
        return (
            f"{opener}It's a stretch day 🧘 This week: {week_done} of "
            f"{weekly_target(user.weekdays)} sessions so far."
        )
    return f"{opener}Time for today's stretches 🧘 About 15-20 minutes on your mat."


async def claim_due(deps: Deps, now: datetime) -> tuple[list[Claim], DispatchReport]:
    """Claim a batch of due users in one transaction, with a fixed number of queries
    (not a few per user), so the claim stays short and SQLite's write lock with it."""
    report = DispatchReport()
    settings = deps.settings
    grace = timedelta(minutes=settings.reminder_grace_minutes)
    lease = timedelta(seconds=settings.reminder_lease_seconds)
    claims: list[Claim] = []
    async with deps.db.session() as s:
        users = (
            (
                await s.execute(
                    select(User)
                    .where(User.next_reminder_at <= now)
                    .order_by(User.next_reminder_at)
                    .limit(settings.dispatch_batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        report.selected = len(users)
        live: list[User] = []
        late_rows: list[dict[str, object]] = []
        for user in users:
            due_at = user.next_reminder_at
            assert due_at is not None
            if not wants_reminders(user):
                user.next_reminder_at = None
            elif now - due_at > grace:
                late_rows.append(_log_row(user, "late", now))
                plan_next(user, now)
            else:
                live.append(user)
        report.late = len(late_rows)
        if late_rows:
            await s.execute(store.insert_ignoring_duplicates(s, ReminderLog), late_rows)
        if not live:
            return claims, report
        ids = [u.id for u in live]
        # Eight days back covers "today" in every zone and the current ISO week.
        since = now.date() - timedelta(days=8)
        recent = await _completed_days(s, ids, since)
        sent_daily = await _sent_daily(s, ids, since)
        counted = await _counted_in_phase(s, [u.id for u in live if u.phase == Phase.HABIT.value])
        candidates: list[User] = []
        for user in live:
            today = local_today(now, user.timezone)
            local_day = local_date_of(user.next_reminder_at, user.timezone)  # type: ignore[arg-type]
            if today in recent.get(user.id, ()):
                report.skipped_done += 1
                plan_next(user, now)
            elif user.next_reminder_kind == "daily" and (user.id, local_day) in sent_daily:
                plan_next(user, now)
            else:
                candidates.append(user)
        logs = await _claim_logs(s, candidates, now)
        for user in candidates:
            if user.id not in logs:
                plan_next(user, now)
                continue
            log_id, due_at = logs[user.id]
            today = local_today(now, user.timezone)
            transition = on_day_start(phase_state(user), today)
            if transition is not None:
                await store.log_phase_change(
                    s,
                    user.id,
                    transition.old.value,
                    transition.new.phase.value,
                    transition.reason,
                    transition.new.started_on,
                    now,
                )
                user.phase = transition.new.phase.value
                user.phase_started_on = transition.new.started_on
                user.checkin_on = transition.new.checkin_on
            done_this_week = week_count(recent.get(user.id, set()), today)
            text = _text(
                user, user.next_reminder_kind, counted.get(user.id, 0), done_this_week, transition is not None
            )
            user.next_reminder_at = now + lease
            claims.append(Claim(user.id, user.chat_id, log_id, due_at, text, transition is not None))
    report.claimed = len(claims)
    return claims, report


def _log_row(user: User, status: str, now: datetime) -> dict[str, object]:
    due_at = user.next_reminder_at
    assert due_at is not None
    return {
        "user_id": user.id,
        "due_at": due_at,
        "local_date": local_date_of(due_at, user.timezone),
        "kind": user.next_reminder_kind,
        "status": status,
        "claimed_at": now,
    }


async def _completed_days(s: AsyncSession, ids: list[int], since: date) -> dict[int, set[date]]:
    rows = await s.execute(
        select(PracticeSession.user_id, PracticeSession.local_date).where(
            PracticeSession.user_id.in_(ids),
            PracticeSession.status == "completed",
            PracticeSession.local_date >= since,
        )
    )
    days: dict[int, set[date]] = {}
    for user_id, day in rows:
        days.setdefault(user_id, set()).add(day)
    return days


async def _sent_daily(s: AsyncSession, ids: list[int], since: date) -> set[tuple[int, date]]:
    rows = await s.execute(
        select(ReminderLog.user_id, ReminderLog.local_date).where(
            ReminderLog.user_id.in_(ids),
            ReminderLog.kind == "daily",
            ReminderLog.status == "sent",
            ReminderLog.local_date >= since,
        )
    )
    return {(user_id, day) for user_id, day in rows}


async def _counted_in_phase(s: AsyncSession, ids: list[int]) -> dict[int, int]:
    """Distinct completed days since each user's phase began ("day N of 21")."""
    if not ids:
        return {}
    rows = await s.execute(
        select(PracticeSession.user_id, func.count(func.distinct(PracticeSession.local_date)))
        .join(User, User.id == PracticeSession.user_id)
        .where(
            PracticeSession.user_id.in_(ids),
            PracticeSession.status == "completed",
            PracticeSession.local_date >= func.coalesce(User.phase_started_on, date(1970, 1, 1)),
        )
        .group_by(PracticeSession.user_id)
    )
    return {user_id: int(count) for user_id, count in rows}


async def _claim_logs(s: AsyncSession, users: list[User], now: datetime) -> dict[int, tuple[int, datetime]]:
    """Each user's log row and occurrence: an earlier claim that never finished (its
    process died; the lease on the user row has run out) keeps its identity, others get a
    new row. Users missing from the result already had this occurrence sent."""
    if not users:
        return {}
    unfinished = await s.execute(
        select(ReminderLog).where(
            ReminderLog.user_id.in_([u.id for u in users]), ReminderLog.status == "claimed"
        )
    )
    claimed: dict[int, tuple[int, datetime]] = {}
    for entry in unfinished.scalars():
        entry.claimed_at = now
        claimed[entry.user_id] = (entry.id, entry.due_at)
    fresh = [u for u in users if u.id not in claimed]
    if fresh:
        inserted = await s.execute(
            store.insert_ignoring_duplicates(s, ReminderLog)
            .values([_log_row(user, "claimed", now) for user in fresh])
            .returning(ReminderLog.user_id, ReminderLog.id, ReminderLog.due_at)
        )
        claimed.update({user_id: (log_id, due_at) for user_id, log_id, due_at in inserted})
    return claimed


async def _send_one(bot: Bot, deps: Deps, claim: Claim, report: DispatchReport) -> None:
    now = deps.now()
    try:
        message = await bot.send_message(
            claim.chat_id, claim.text, reply_markup=keyboard(reminder_rows(claim.log_id))
        )
        if claim.checkin:
            from bot.handlers.phase import CHECKIN_ROWS

            await bot.send_message(
                claim.chat_id, "Does your low back feel less sore?", reply_markup=keyboard(CHECKIN_ROWS)
            )
    except Forbidden:
        report.blocked += 1
        async with deps.db.session() as s:
            await s.execute(
                update(User).where(User.id == claim.user_id).values(blocked=True, next_reminder_at=None)
            )
            await s.execute(
                update(ReminderLog).where(ReminderLog.id == claim.log_id).values(status="blocked")
            )
        return
    except RetryAfter as exc:
        report.retry += 1
        retry = exc.retry_after
        seconds = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
        await _due_again(deps, claim, now + timedelta(seconds=seconds))
        return
    except (NetworkError, TelegramError) as exc:
        report.retry += 1
        report.errors.append(type(exc).__name__)
        log.warning("reminder to user %s not sent (%s); it stays due", claim.user_id, type(exc).__name__)
        await _due_again(deps, claim, claim.due_at)
        return
    async with deps.db.session() as s:
        await s.execute(
            update(ReminderLog)
            .where(ReminderLog.id == claim.log_id)
            .values(status="sent", sent_at=now, message_id=message.message_id)
        )
        user = await s.get(User, claim.user_id)
        if user is not None:
            plan_next(user, now)
    report.sent += 1


async def _due_again(deps: Deps, claim: Claim, when: datetime) -> None:
    """Not sent: free the occurrence and make the user due again at `when`."""
    async with deps.db.session() as s:
        await s.execute(
            delete(ReminderLog).where(ReminderLog.id == claim.log_id, ReminderLog.status == "claimed")
        )
        await s.execute(update(User).where(User.id == claim.user_id).values(next_reminder_at=when))


async def dispatch_due(bot: Bot, deps: Deps) -> DispatchReport:
    """One run: claim the due users, send their reminders, store each outcome."""
    claims, report = await claim_due(deps, deps.now())
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def guarded(claim: Claim) -> None:
        async with limit:
            await _send_one(bot, deps, claim, report)

    await asyncio.gather(*(guarded(claim) for claim in claims))
    if claims:
        log.info(
            "reminders: claimed %d, sent %d, retry %d, blocked %d",
            report.claimed,
            report.sent,
            report.retry,
            report.blocked,
        )
    return report
