"""Reminders: which users are due (a set-based claim), what each is told, and the
buttons on a reminder (start now, snooze, skip today).

A claim runs in one transaction with a fixed number of statements per batch: it reads
due users through the indexed `next_reminder_at`, writes one reminder-log row each
(its unique (user, occurrence) key refuses a second one), plans each user's next
occurrence and stores the reminder messages in the outbox, all committed together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.domain.phases import Phase, habit_day_number, on_day_start, weekly_target
from bot.domain.schedule import local_date_of, local_today
from bot.domain.streaks import week_count
from bot.effects import Button, Entry, Keyboard, Priority, Send
from bot.flows import phases, session
from bot.flows.context import FlowContext
from bot.i18n import Translator, translator
from bot.services import store
from bot.services.planner import phase_state, plan_next, plan_snooze, wants_reminders
from bot.views import general as general_view
from bot.views import phases as phase_view
from bot.views import reminders as view
from config import Settings
from db.models import PracticeSession, ReminderLog, User


@dataclass
class ClaimReport:
    selected: int = 0
    queued: int = 0
    late: int = 0
    skipped_done: int = 0
    # (due -> claimed) of what was queued, seconds.
    lags: list[float] | None = None


def keyboard(tr: Translator, log_id: int) -> Keyboard:
    def button(label: str, action: b.ReminderAction) -> Button:
        return Button(label, b.ReminderButton(log_id, action).pack())

    return (
        (button(view.start_now(tr), b.ReminderAction.START),),
        (button(view.snooze_30(tr), b.ReminderAction.SNOOZE_30), button(view.snooze_60(tr), b.ReminderAction.SNOOZE_60)),
        (
            button(view.skip_today(tr), b.ReminderAction.SKIP),
            Button(phase_view.flare_button(tr), b.FlareButton(b.FlareChoice.REPORT).pack()),
        ),
    )


def text(tr: Translator, user: User, counted: int, week_done: int, checkin: bool) -> str:
    if checkin:
        line = view.checkin(tr)
    elif Phase(user.phase) is Phase.HABIT:
        line = view.habit(tr, habit_day_number(counted, False))
    elif Phase(user.phase) is Phase.MAINTENANCE:
        line = view.maintenance(tr, week_done, weekly_target(user.weekdays))
    else:
        line = view.daily(tr)
    return view.snoozed(tr, line) if user.next_reminder_kind == "snooze" else line


async def claim_due(s: AsyncSession, settings: Settings, now: datetime, limit: int) -> tuple[list[Entry], ClaimReport]:
    report = ClaimReport(lags=[])
    grace = timedelta(minutes=settings.reminder_grace_minutes)
    users = (
        (
            await s.execute(
                select(User)
                .where(User.next_reminder_at <= now)
                .order_by(User.next_reminder_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    report.selected = len(users)
    entries: list[Entry] = []
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
        return entries, report
    ids = [u.id for u in live]
    since = now.date() - timedelta(days=8)  # covers "today" in every zone and the current week
    recent = await _completed_days(s, ids, since)
    sent_daily = await _daily_logged(s, ids, since)
    counted = await _counted_in_phase(s, [u.id for u in live if u.phase == Phase.HABIT.value])
    candidates: list[User] = []
    for user in live:
        today = local_today(now, user.timezone)
        assert user.next_reminder_at is not None
        local_day = local_date_of(user.next_reminder_at, user.timezone)
        if today in recent.get(user.id, ()):
            report.skipped_done += 1
            plan_next(user, now)
        elif user.next_reminder_kind == "daily" and (user.id, local_day) in sent_daily:
            plan_next(user, now)
        else:
            candidates.append(user)
    if not candidates:
        return entries, report
    inserted = await s.execute(
        store.insert_ignoring_duplicates(s, ReminderLog)
        .values([_log_row(user, "queued", now) for user in candidates])
        .returning(ReminderLog.user_id, ReminderLog.id)
    )
    logs = dict(inserted.all())
    for user in candidates:
        log_id = logs.get(user.id)
        due_at = user.next_reminder_at
        assert due_at is not None
        if log_id is None:  # this occurrence was already sent
            plan_next(user, now)
            continue
        tr = translator(user.locale)
        today = local_today(now, user.timezone)
        transition = on_day_start(phase_state(user), today)
        if transition is not None:
            await phases.persist(s, user, transition, now)
        week_done = week_count(recent.get(user.id, set()), today)
        line = text(tr, user, counted.get(user.id, 0), week_done, transition is not None)
        entries.append(Entry(user.chat_id, Send(line, keyboard(tr, log_id)), Priority.BROADCAST, f"reminder:{log_id}"))
        if transition is not None:
            announcement, markup = phases.announcement(tr, transition)
            entries.append(Entry(user.chat_id, Send(announcement, markup), Priority.BROADCAST))
        assert report.lags is not None
        report.lags.append((now - due_at).total_seconds())
        plan_next(user, now)
    report.queued = len(logs)
    return entries, report


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


async def _daily_logged(s: AsyncSession, ids: list[int], since: date) -> set[tuple[int, date]]:
    rows = await s.execute(
        select(ReminderLog.user_id, ReminderLog.local_date).where(
            ReminderLog.user_id.in_(ids),
            ReminderLog.kind == "daily",
            ReminderLog.status.in_(("queued", "sent")),
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


# --------------------------------------------------------------------------- buttons


async def on_button(ctx: FlowContext, log_id: int, action: b.ReminderAction) -> None:
    user = await ctx.user()
    tr = ctx.tr
    entry = await ctx.s.get(ReminderLog, log_id)
    if user is None or entry is None or entry.user_id != user.id:
        ctx.answer(general_view.expired(tr))
        return
    if action is b.ReminderAction.START:
        ctx.answer()
        ctx.edit_pressed(view.starting(tr))
        await session.start(ctx, user)
        return
    if entry.local_date != local_today(ctx.now, user.timezone):
        ctx.answer(view.earlier_day(tr))
        return
    taken = await ctx.s.execute(
        update(ReminderLog)
        .where(ReminderLog.id == entry.id, ReminderLog.action.is_(None))
        .values(action="skip" if action is b.ReminderAction.SKIP else f"snooze{action.value[1:]}")
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        ctx.answer(general_view.already_done(tr))
        return
    ctx.answer()
    if action is b.ReminderAction.SKIP:
        plan_next(user, ctx.now, skip_today=True)
        ctx.edit_pressed(view.skipped_note(tr))
        ctx.send(view.skipped(tr))
        return
    minutes = int(action.value[1:])
    plan_snooze(user, ctx.now, minutes)
    ctx.edit_pressed(view.snoozed_note(tr, minutes))
    ctx.send(view.snooze_until(tr, (ctx.now + timedelta(minutes=minutes)).astimezone(ZoneInfo(user.timezone))))
