"""The reminder dispatcher with controlled time, against the emulator's Bot API."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.services.dispatch import dispatch_due
from bot.services.planner import plan_next
from db.engine import Database
from db.models import PhaseChange, PracticeSession, ReminderLog, User
from tests.harness import Harness, running_bot

BERLIN = "Europe/Berlin"
# Monday 2 March 2026, 08:00 in Berlin (UTC+1).
DUE = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


async def make_user(
    h: Harness,
    telegram_id: int,
    *,
    tz: str = BERLIN,
    at: time = time(8, 0),
    phase: str = "habit",
    **fields: object,
) -> None:
    """An onboarded user whose next reminder is planned from the harness clock."""
    h.user(telegram_id, f"User{telegram_id}")
    async with h.db.session() as s:
        values: dict[str, object] = {
            "telegram_id": telegram_id,
            "chat_id": telegram_id,
            "first_name": "U",
            "timezone": tz,
            "reminder_time": at,
            "onboarding_step": "done",
            "screen_status": "clear",
            "phase": phase,
            "phase_started_on": date(2026, 3, 1),
            "weekday_mask": 0b1010101,
            **fields,
        }
        user = User(**values)
        s.add(user)
        await s.flush()
        plan_next(user, h.now)


async def reminders_for(h: Harness, telegram_id: int) -> list[str]:
    return [m.text or "" for m in h.fake.user(telegram_id).bot_messages()]


async def dispatch(h: Harness):  # type: ignore[no-untyped-def]
    return await dispatch_due(h.app.bot, h.deps)


async def log_rows(h: Harness, telegram_id: int) -> list[ReminderLog]:
    async with h.db.session() as s:
        user = (await s.execute(select(User).where(User.telegram_id == telegram_id))).scalar_one()
        return list(
            (
                await s.execute(
                    select(ReminderLog).where(ReminderLog.user_id == user.id).order_by(ReminderLog.id)
                )
            ).scalars()
        )


async def test_due_users_get_exactly_one_reminder(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        for uid in (1, 2, 3):
            await make_user(h, uid)
        await make_user(h, 4, at=time(9, 0))  # not due yet
        assert (await dispatch(h)).claimed == 0
        h.now = DUE + timedelta(seconds=20)
        report = await dispatch(h)
        await dispatch(h)  # a second run in the same minute sends nothing more
        assert report.sent == 3
        for uid in (1, 2, 3):
            texts = await reminders_for(h, uid)
            assert len(texts) == 1 and "Day 1 of 21" in texts[0]
            assert [r.status for r in await log_rows(h, uid)] == ["sent"]
            user = await h.db_user(uid)
            assert user is not None and user.next_reminder_at == DUE + timedelta(days=1)
        assert await reminders_for(h, 4) == []
        assert h.fake.user(1).last_bot_message().buttons == [
            "▶️ Start now",
            "⏰ In 30 min",
            "⏰ In 1 hour",
            "Skip today",
            "😣 Flare-up",
        ]


async def test_no_reminder_when_today_is_done(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_user(h, 1)
        user = await h.db_user(1)
        async with h.db.session() as s:
            s.add(
                PracticeSession(
                    user_id=user.id,
                    local_date=date(2026, 3, 2),
                    status="completed",  # type: ignore[union-attr]
                    stage="done",
                    step=13,
                    started_at=h.now,
                )
            )
        h.now = DUE + timedelta(seconds=5)
        report = await dispatch(h)
        assert report.skipped_done == 1 and await reminders_for(h, 1) == []
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]


async def test_snooze_comes_back_once(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.now = DUE
        await dispatch(h)
        person = h.fake.user(1)
        reminder = person.last_bot_message()
        await h.press(person, "⏰ In 30 min")
        assert "remind you again at 08:30" in h.last_text(person)
        # A second snooze of the same reminder (a double tap) is refused.
        person.press_raw(next(d for d in reminder.callback_data if d.endswith(":s60")), reminder.message_id)
        await h.pump()
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(minutes=30)  # type: ignore[union-attr]
        h.now = DUE + timedelta(minutes=31)
        await dispatch(h)
        await dispatch(h)
        texts = await reminders_for(h, 1)
        assert sum("Time to stretch" in t for t in texts) == 2 and "snoozed" in texts[-1]
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]


async def test_skip_today_and_start_now(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        await make_user(h, 2)
        h.now = DUE
        await dispatch(h)
        await h.press(h.fake.user(1), "Skip today")
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]
        await h.press(h.fake.user(2), "▶️ Start now")
        assert "before we start" in h.last_text(h.fake.user(2))


async def test_paused_screened_out_and_unfinished_users_get_none(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        for uid in (1, 2, 3):
            await make_user(h, uid)
        # States that changed without re-planning: the dispatcher checks them itself.
        from sqlalchemy import update

        async with h.db.session() as s:
            await s.execute(update(User).where(User.telegram_id == 1).values(paused=True))
            await s.execute(update(User).where(User.telegram_id == 2).values(screen_status="emergency"))
            await s.execute(update(User).where(User.telegram_id == 3).values(onboarding_step="timezone"))
        h.now = DUE + timedelta(minutes=1)
        await dispatch(h)
        for uid in (1, 2, 3):
            assert await reminders_for(h, uid) == []
            assert (await h.db_user(uid)).next_reminder_at is None  # type: ignore[union-attr]


async def test_blocked_user_is_marked_and_comes_back_with_start(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.fake.block(1, notify=False)
        h.now = DUE
        report = await dispatch(h)
        assert report.blocked == 1
        user = await h.db_user(1)
        assert user is not None and user.blocked and user.next_reminder_at is None
        h.now = DUE + timedelta(days=1)
        assert (await dispatch(h)).claimed == 0
        h.fake.unblock(1, notify=False)
        await h.say(h.fake.user(1), "/start")
        user = await h.db_user(1)
        assert user is not None and not user.blocked and user.next_reminder_at is not None


async def test_429_is_retried_after_retry_after(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.fake.fail_next("sendMessage", status=429, retry_after=7)
        h.now = DUE
        report = await dispatch(h)
        assert report.sent == 0 and report.retry == 1
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(seconds=7)  # type: ignore[union-attr]
        h.now = DUE + timedelta(seconds=8)
        assert (await dispatch(h)).sent == 1
        assert len(await reminders_for(h, 1)) == 1
        assert [r.status for r in await log_rows(h, 1)] == ["sent"]


async def test_network_error_leaves_user_due_then_sends_once(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.fake.fail_next("sendMessage", status=502)
        h.now = DUE
        assert (await dispatch(h)).sent == 0
        assert (await h.db_user(1)).next_reminder_at == DUE  # type: ignore[union-attr]
        h.now = DUE + timedelta(seconds=30)
        assert (await dispatch(h)).sent == 1
        assert len(await reminders_for(h, 1)) == 1
        assert len(await log_rows(h, 1)) == 1


async def test_late_within_grace_is_sent_too_late_is_skipped(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)  # due 08:00
        await make_user(h, 2, at=time(5, 0))  # due 05:00, three hours before "now"
        h.now = DUE - timedelta(hours=3, minutes=1)
        async with h.db.session() as s:
            user2 = (await s.execute(select(User).where(User.telegram_id == 2))).scalar_one()
            plan_next(user2, h.now)
        h.now = DUE + timedelta(minutes=90)  # the bot was down until 09:30
        report = await dispatch(h)
        assert report.sent == 1 and report.late == 1
        assert len(await reminders_for(h, 1)) == 1
        assert await reminders_for(h, 2) == []
        assert [r.status for r in await log_rows(h, 2)] == ["late"]
        assert (await h.db_user(2)).next_reminder_at == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # type: ignore[union-attr]


async def test_maintenance_reminds_on_chosen_days_with_the_week_count(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)  # Monday
        await make_user(h, 1, phase="maintenance", weekday_mask=(1 << 1) | (1 << 3) | (1 << 5))
        user = await h.db_user(1)
        assert user is not None and user.next_reminder_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
        h.now = user.next_reminder_at
        await dispatch(h)
        assert "This week: 0 of 3" in (await reminders_for(h, 1))[0]


async def test_daily_phase_check_in_arrives_with_the_reminder(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_user(h, 1, phase="daily", checkin_on=date(2026, 3, 2))
        h.now = DUE
        await dispatch(h)
        person = h.fake.user(1)
        assert "less sore" in h.last_text(person)
        await h.press(person, "Yes, less sore")
        user = await h.db_user(1)
        assert user is not None and user.phase == "maintenance"
        async with h.db.session() as s:
            changes = (await s.execute(select(PhaseChange.reason))).scalars().all()
        assert changes == ["checkin_due", "checkin_less_sore"]


async def test_flare_up_from_a_reminder_returns_to_daily(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(days=1)
        await make_user(h, 1, phase="maintenance", weekday_mask=0b1111111)
        h.now = DUE
        await dispatch(h)
        person = h.fake.user(1)
        await h.press(person, "😣 Flare-up")
        await h.press(person, "Yes, daily again")
        user = await h.db_user(1)
        assert user is not None and user.phase == "daily" and user.checkin_on == date(2026, 3, 9)
        assert "daily stretches" in h.last_text(person)


async def test_habit_ends_after_21_counted_days(db: Database) -> None:
    async with running_bot(db) as h:
        person = h.user()
        await h.onboard(person)
        await h.press(person, "Wait for my reminder")
        user = await h.db_user(person.user_id)
        assert user is not None
        async with h.db.session() as s:
            for back in range(1, 21):
                s.add(
                    PracticeSession(
                        user_id=user.id,
                        local_date=user.phase_started_on + timedelta(days=back - 21),  # type: ignore[operator]
                        status="completed",
                        stage="done",
                        step=13,
                        started_at=h.now,
                    )
                )
            u = await s.get(User, user.id)
            u.phase_started_on = user.phase_started_on - timedelta(days=20)  # type: ignore[union-attr,operator]
        await h.say(person, "/stretch")
        await h.press(person, "2")
        from bot.domain.routine import STEPS

        for _ in STEPS:
            await h.press(person, "✅ Done")
        await h.press(person, "1")
        assert "21 days" in h.last_text(person)
        assert (await h.db_user(person.user_id)).phase == "checkin"  # type: ignore[union-attr]
        await h.press(person, "Still sore")
        user = await h.db_user(person.user_id)
        assert user is not None and user.phase == "daily" and user.checkin_on is not None


async def test_two_dispatchers_at_once_send_each_reminder_once(postgres_url: str, db: Database) -> None:
    """Two processes' worth of dispatchers (separate engines) race over the same due users."""
    async with running_bot(db, dispatch_batch_size=50) as h:
        h.now = DUE - timedelta(minutes=1)
        users = range(1, 201)
        for uid in users:
            await make_user(h, uid)
        h.now = DUE + timedelta(seconds=1)
        other = Database(postgres_url)
        from bot.deps import Deps

        second = Deps(settings=h.deps.settings, db=other, clock=lambda: h.now)
        try:
            for _ in range(6):
                await asyncio.gather(dispatch_due(h.app.bot, h.deps), dispatch_due(h.app.bot, second))
        finally:
            await other.dispose()
        counts = [len(await reminders_for(h, uid)) for uid in users]
        assert counts == [1] * len(users)
        async with h.db.session() as s:
            statuses = (await s.execute(select(ReminderLog.status))).scalars().all()
        assert len(statuses) == len(users) and set(statuses) == {"sent"}


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
async def test_reminder_stays_at_local_time_across_dst(db: Database, zone: str) -> None:
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
        await make_user(h, 1, tz=zone)
        from zoneinfo import ZoneInfo

        local_times = set()
        for _ in range(30):  # through the March switches in Europe and the US
            user = await h.db_user(1)
            assert user is not None and user.next_reminder_at is not None
            h.now = user.next_reminder_at
            await dispatch(h)
            local_times.add(h.now.astimezone(ZoneInfo(zone)).time())
        assert local_times == {time(8, 0)}
        assert len(await reminders_for(h, 1)) == 30


async def test_one_tick_drains_a_backlog_in_back_to_back_batches(db: Database) -> None:
    from types import SimpleNamespace

    from bot.handlers.reminders import dispatch_job

    async with running_bot(db, dispatch_batch_size=5) as h:
        h.now = DUE - timedelta(minutes=1)
        for uid in range(1, 13):
            await make_user(h, uid)
        h.now = DUE + timedelta(seconds=1)
        await dispatch_job(SimpleNamespace(bot=h.app.bot, application=h.app))  # type: ignore[arg-type]
        assert [len(await reminders_for(h, uid)) for uid in range(1, 13)] == [1] * 12


async def test_a_claim_lost_in_a_crash_is_sent_after_the_lease(db: Database) -> None:
    """The process died between claiming and sending: the lease runs out, the same
    occurrence is claimed again (its log row reused) and sent once."""
    from bot.services.dispatch import claim_due

    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.now = DUE
        claims, _ = await claim_due(h.deps, h.now)  # claimed, then "crashed": never sent
        assert len(claims) == 1 and await reminders_for(h, 1) == []
        h.now = DUE + timedelta(minutes=2)
        assert (await dispatch(h)).claimed == 0  # still leased
        h.now = DUE + timedelta(seconds=h.deps.settings.reminder_lease_seconds + 1)
        assert (await dispatch(h)).sent == 1
        assert len(await reminders_for(h, 1)) == 1
        rows = await log_rows(h, 1)
        assert [(r.status, r.due_at) for r in rows] == [("sent", DUE)]
