"""Users who are due a reminder, made straight in the database, and a reminder run that
reports what it claimed; shared by the reminder, sender and phase-text tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from bot.domain.phases import Phase
from bot.domain.screening import ScreenStatus
from bot.flows.reminders import ClaimReport
from bot.services.planner import plan_next
from db.models import PracticeSession, ReminderLog, User
from db.states import OnboardingStep, Stage
from tests.harness import Harness

BERLIN = "Europe/Berlin"


async def make_users(
    h: Harness,
    telegram_ids: Iterable[int],
    *,
    tz: str = BERLIN,
    at: time = time(8, 0),
    phase: str = "habit",
    phase_started_on: date = date(2026, 3, 1),
    **fields: object,
) -> None:
    """Onboarded users whose next reminder is planned from the harness clock (one transaction)."""
    ids = list(telegram_ids)
    for telegram_id in ids:
        h.user(telegram_id, f"User{telegram_id}")
    async with h.db.session() as s:
        users = [
            User(
                **{
                    "telegram_id": telegram_id,
                    "chat_id": telegram_id,
                    "first_name": "U",
                    "timezone": tz,
                    "reminder_time": at,
                    "onboarding_step": OnboardingStep.DONE,
                    "screen_status": ScreenStatus.CLEAR,
                    "phase": Phase(phase),
                    "phase_started_on": phase_started_on,
                    "weekday_mask": 0b1010101,
                    **fields,
                }
            )
            for telegram_id in ids
        ]
        s.add_all(users)
        await s.flush()
        for user in users:
            plan_next(user, h.now)


async def make_user(h: Harness, telegram_id: int, **options: object) -> None:
    await make_users(h, [telegram_id], **options)  # type: ignore[arg-type]


async def dispatch(h: Harness, limit: int | None = None) -> ClaimReport:
    """One reminder run at the harness clock, delivered; what the claim reported."""
    report = await h.runtime.dispatcher.run_once(limit)
    await h.runtime.sender.drain()
    return report


def reminders_for(h: Harness, telegram_id: int) -> list[str]:
    return [m.text or "" for m in h.fake.user(telegram_id).bot_messages()]


async def log_rows(h: Harness, telegram_id: int) -> list[ReminderLog]:
    async with h.db.session() as s:
        user = (await s.execute(select(User).where(User.telegram_id == telegram_id))).scalar_one()
        query = select(ReminderLog).where(ReminderLog.user_id == user.id).order_by(ReminderLog.id)
        return list((await s.execute(query)).scalars())


async def practised(h: Harness, telegram_id: int, days: Iterable[date]) -> None:
    """Completed sessions on these local days, as if the user had done them."""
    user = await h.db_user(telegram_id)
    assert user is not None
    async with h.db.session() as s:
        for day in days:
            s.add(
                PracticeSession(
                    user_id=user.id,
                    local_date=day,
                    status="completed",
                    stage=Stage.DONE,
                    step=13,
                    started_at=datetime.combine(day, time(10, 0), tzinfo=UTC),
                    pain_before=3,
                    pain_after=3,
                )
            )
