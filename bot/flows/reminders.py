"""Reminders: which users are due (a set-based claim), what each is told, and the
buttons on a reminder (start now, snooze, skip today).

A claim runs in one transaction with a fixed number of statements per batch: it reads
due users through the indexed `next_reminder_at`, writes one reminder-log row each
(its unique (user, occurrence) key refuses a second one), plans each user's next
occurrence and stores the reminder messages in the outbox, all committed together.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import buttons as b
from bot.domain import phases as rules
from bot.domain import symptoms
from bot.domain.phases import DayKind, Event, Phase, Say
from bot.domain.schedule import local_date_of, local_today
from bot.domain.symptoms import FollowUp
from bot.effects import Button, Entry, Keyboard, Priority, Send
from bot.flows import phases, session
from bot.flows.context import FlowContext
from bot.i18n import Translator, translator
from bot.services import store
from bot.services.planner import phase_state, plan_next, plan_snooze, wants_reminders
from bot.views import general as general_view
from bot.views import phases as phase_view
from bot.views import reminders as view
from bot.views import safety as safety_view
from config import Settings
from db.models import PracticeSession, ReminderLog, User

YIELD_EVERY = 25  # users between two turns of the event loop while a claim writes texts


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
        (
            button(view.snooze_30(tr), b.ReminderAction.SNOOZE_30),
            button(view.snooze_60(tr), b.ReminderAction.SNOOZE_60),
        ),
        (
            button(view.skip_today(tr), b.ReminderAction.SKIP),
            Button(phase_view.flare_button(tr), b.FlareButton(b.FlareChoice.REPORT).pack()),
        ),
    )


def followup_keyboard(tr: Translator) -> Keyboard:
    return tuple((Button(safety_view.followup_label(tr, a), b.FollowUpButton(a).pack()),) for a in FollowUp)


async def claim_due(
    s: AsyncSession, settings: Settings, now: datetime, limit: int
) -> tuple[list[Entry], ClaimReport]:
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
    counted = await _counted_in_phase(s, [u.id for u in live if u.phase is Phase.HABIT])
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
    # Core executemany (one multi-row statement per chunk, compiled once and cached), not a
    # 500-row VALUES clause compiled anew for every batch.
    log_table: Any = ReminderLog.__table__
    inserted = await s.execute(
        store.insert_ignoring_duplicates(s, log_table).returning(log_table.c.user_id, log_table.c.id),
        [_log_row(user, "queued", now) for user in candidates],
    )
    logs = dict(inserted.all())
    for n, user in enumerate(candidates):
        if n and n % YIELD_EVERY == 0:
            # A batch's texts are ~100 ms of Python: let the sender keep its pace meanwhile
            # (it can make up only 0.1 s of lost turns) and replies go out.
            await asyncio.sleep(0)
        log_id = logs.get(user.id)
        due_at = user.next_reminder_at
        assert due_at is not None
        if log_id is None:  # this occurrence was already sent
            plan_next(user, now)
            continue
        tr = translator(user.locale)
        today = local_today(now, user.timezone)
        transition = rules.apply(phase_state(user), Event.DAY_START, today)
        if transition is not None:
            await phases.persist(s, user, transition, now)
        state = phase_state(user)
        days = recent.get(user.id, set())
        facts = phases.facts_for(user, state, days, today, counted=counted.get(user.id, 0), ratings=[])
        lines = rules.say(
            state.phase,
            DayKind.PRACTICE_DAY,
            Say.REMINDER,
            transition=transition,
            snoozed=user.next_reminder_kind == "snooze",
        )
        markup = keyboard(tr, log_id)
        if phase_view.has_checkin_buttons(lines):
            markup = markup + phases.checkin_keyboard(tr)
        text = phase_view.render(tr, lines, facts)
        entries.append(Entry(user.chat_id, Send(text, markup), Priority.BROADCAST, f"reminder:{log_id}"))
        if symptoms.followup_due(user.pain_rose_on, False, today):
            entries.append(
                Entry(
                    user.chat_id,
                    Send(safety_view.followup_question(tr), followup_keyboard(tr)),
                    Priority.BROADCAST,
                )
            )
            user.pain_rose_on = None
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
        ctx.settle(view.starting(tr))
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
        ctx.settle(view.skipped_note(tr))
        ctx.send(view.skipped(tr))
        return
    minutes = int(action.value[1:])
    plan_snooze(user, ctx.now, minutes)
    ctx.settle(view.snoozed_note(tr, minutes))
    ctx.send(
        view.snooze_until(tr, (ctx.now + timedelta(minutes=minutes)).astimezone(ZoneInfo(user.timezone)))
    )
