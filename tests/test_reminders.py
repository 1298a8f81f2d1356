"""Reminders through the real dispatcher (a set-based claim that writes reminder rows and the
outbox in one transaction) and the sender, with the harness clock, against the emulator."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.buttons import ReminderAction, ReminderButton
from bot.domain.routine import STEPS
from db.engine import Database
from db.models import OutboxEffect, PhaseChange, ReminderLog, User
from tests.harness import running_bot
from tests.reminder_kit import dispatch, log_rows, make_user, make_users, practised, reminders_for

# Monday 2 March 2026, 08:00 in Berlin (UTC+1).
DUE = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
REMINDER_BUTTONS = ["▶️ Start now", "⏰ In 30 min", "⏰ In 1 hour", "Skip today", "😣 Flare-up"]


async def test_due_users_get_exactly_one_reminder(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_users(h, (1, 2, 3))
        await make_user(h, 4, at=time(9, 0))  # not due yet
        assert (await dispatch(h)).selected == 0
        h.now = DUE + timedelta(seconds=20)
        report = await dispatch(h)
        assert report.queued == 3
        assert (await dispatch(h)).queued == 0  # a second run in the same minute sends nothing more
        for uid in (1, 2, 3):
            texts = reminders_for(h, uid)
            assert len(texts) == 1 and "Day 1 of 21" in texts[0]
            assert [r.status for r in await log_rows(h, uid)] == ["sent"]
            user = await h.db_user(uid)
            assert user is not None and user.next_reminder_at == DUE + timedelta(days=1)
        assert reminders_for(h, 4) == []
        assert h.fake.user(1).last_bot_message().buttons == REMINDER_BUTTONS
        assert await h.count(OutboxEffect) == 0  # delivered rows are booked away
        assert h.errors == []


async def test_the_same_occurrence_is_refused_a_second_time(db: Database) -> None:
    """Even if the planned time is set back (a stale process, a restored backup), the
    reminder row's unique (user, occurrence) key sends an occurrence once."""
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.now = DUE
        await dispatch(h)
        async with h.db.session() as s:
            await s.execute(update(User).where(User.telegram_id == 1).values(next_reminder_at=DUE))
        report = await dispatch(h)
        assert report.selected == 1 and report.queued == 0
        assert len(reminders_for(h, 1)) == 1
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]


async def test_no_reminder_when_today_is_done(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_user(h, 1)
        await practised(h, 1, [date(2026, 3, 2)])
        h.now = DUE + timedelta(seconds=5)
        report = await dispatch(h)
        assert report.skipped_done == 1 and reminders_for(h, 1) == []
        assert await log_rows(h, 1) == []
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
        assert "remind you again at 8:30" in h.last_text(person)
        # A second snooze of the same reminder (a double tap) is refused.
        log_id = (await log_rows(h, 1))[0].id
        person.press_raw(ReminderButton(log_id, ReminderAction.SNOOZE_60).pack(), reminder.message_id)
        await h.pump()
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(minutes=30)  # type: ignore[union-attr]
        h.now = DUE + timedelta(minutes=31)
        await dispatch(h)
        await dispatch(h)
        texts = reminders_for(h, 1)
        assert texts[0].endswith("\n\n→ Snoozed 30 minutes")  # the first reminder, its buttons gone
        assert [t for t in texts if t.startswith("Here's the reminder")] == [texts[-1]]
        assert texts[-1].startswith("Here's the reminder you snoozed.")
        assert h.fake.user(1).last_bot_message().buttons == REMINDER_BUTTONS
        assert [r.kind for r in await log_rows(h, 1)] == ["daily", "snooze"]
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]


async def test_skip_today_and_start_now(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_users(h, (1, 2))
        h.now = DUE
        await dispatch(h)
        await h.press(h.fake.user(1), "Skip today")
        assert "pick up tomorrow" in h.last_text(h.fake.user(1))
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]
        assert [r.action for r in await log_rows(h, 1)] == ["skip"]
        await h.press(h.fake.user(2), "▶️ Start now")
        assert "before we start" in h.last_text(h.fake.user(2))
        # Skipped today: a snooze from the same reminder afterwards (an old tap) is refused.
        first = h.fake.user(1).bot_messages()[0]
        log_id = (await log_rows(h, 1))[0].id
        h.fake.user(1).press_raw(ReminderButton(log_id, ReminderAction.SNOOZE_30).pack(), first.message_id)
        await h.pump()
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]


async def test_paused_screened_out_and_unfinished_users_get_none(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_users(h, (1, 2, 3))
        # States that changed without re-planning: the claim checks them itself.
        async with h.db.session() as s:
            await s.execute(update(User).where(User.telegram_id == 1).values(paused=True))
            await s.execute(update(User).where(User.telegram_id == 2).values(screen_status="emergency"))
            await s.execute(update(User).where(User.telegram_id == 3).values(onboarding_step="timezone"))
        h.now = DUE + timedelta(minutes=1)
        report = await dispatch(h)
        assert report.selected == 3 and report.queued == 0
        for uid in (1, 2, 3):
            assert reminders_for(h, uid) == []
            assert (await h.db_user(uid)).next_reminder_at is None  # type: ignore[union-attr]


async def test_pause_from_settings_stops_reminders(db: Database) -> None:
    async with running_bot(db) as h:
        person = h.user()
        await h.onboard(person)
        await h.press(person, "Wait for my reminder")
        await h.say(person, "/settings")
        await h.press(person, "⏸ Pause reminders")
        user = await h.db_user(person.user_id)
        assert user is not None and user.paused and user.next_reminder_at is None
        before = len(h.texts(person))
        for _ in range(3):
            h.advance(days=1)
            await dispatch(h)
        assert len(h.texts(person)) == before


async def test_blocked_user_is_marked_and_comes_back_with_start(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.fake.block(1, notify=False)  # Telegram tells us only by refusing the message
        h.now = DUE
        report = await dispatch(h)
        assert report.queued == 1 and h.fake.count_403 == 1
        assert h.runtime.sender.stats.blocked == 1
        user = await h.db_user(1)
        assert user is not None and user.blocked and user.next_reminder_at is None
        assert await h.count(OutboxEffect) == 0
        h.now = DUE + timedelta(days=1)
        assert (await dispatch(h)).selected == 0
        assert h.fake.count_403 == 1  # nothing more was tried
        h.fake.unblock(1, notify=False)
        await h.say(h.fake.user(1), "/start")
        user = await h.db_user(1)
        assert user is not None and not user.blocked and user.next_reminder_at is not None


async def test_429_is_retried_after_retry_after(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        h.fake.fail_next("sendMessage", status=429, retry_after=1)
        h.now = DUE
        await dispatch(h)
        assert h.fake.count_429 == 1 and h.runtime.sender.stats.rate_limited == 1
        assert len(reminders_for(h, 1)) == 1  # sent after the pause, once
        assert [r.status for r in await log_rows(h, 1)] == ["sent"]
        assert (await h.db_user(1)).next_reminder_at == DUE + timedelta(days=1)  # type: ignore[union-attr]
        assert await h.count(OutboxEffect) == 0


async def test_network_error_is_retried_then_sent_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_users(h, (1, 2))
        h.fake.fail_next("sendMessage", status=502, chat_id=1)  # a gateway error
        real_call = h.fake.call
        dropped: list[str] = []

        async def unreachable(token, method, params, files=None):  # type: ignore[no-untyped-def]
            if method.lower() == "sendmessage" and params.get("chat_id") in (2, "2") and not dropped:
                dropped.append(method)
                raise ConnectionResetError("connection reset by peer")  # never reached Telegram
            return await real_call(token, method, params, files)

        monkeypatch.setattr(h.fake, "call", unreachable)
        h.now = DUE
        await dispatch(h)
        assert dropped == ["sendMessage"] and h.runtime.sender.stats.retried == 2
        for uid in (1, 2):
            assert len(reminders_for(h, uid)) == 1
            assert [r.status for r in await log_rows(h, uid)] == ["sent"]
        assert h.errors == []


async def test_late_within_grace_is_sent_too_late_is_skipped(db: Database) -> None:
    async with running_bot(db) as h:
        assert h.runtime.settings.reminder_grace_minutes == 120
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)  # due 08:00
        h.now = DUE - timedelta(hours=3, minutes=1)
        await make_user(h, 2, at=time(5, 0))  # due 05:00, 4.5 hours before "now"
        h.now = DUE + timedelta(minutes=90)  # the bot was down until 09:30
        report = await dispatch(h)
        assert report.queued == 1 and report.late == 1
        assert len(reminders_for(h, 1)) == 1
        assert reminders_for(h, 2) == []
        assert [r.status for r in await log_rows(h, 2)] == ["late"]
        assert (await h.db_user(2)).next_reminder_at == datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # type: ignore[union-attr]


async def test_after_a_long_downtime_nothing_is_sent_in_a_burst(db: Database) -> None:
    """Down for a day and a half: every missed occurrence is booked as late, none is sent,
    and each user's next reminder is their next regular one."""
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_users(h, range(1, 41))
        h.now = DUE + timedelta(days=1, hours=12)  # Tuesday 20:00 in Berlin
        report = await dispatch(h)
        assert (report.selected, report.late, report.queued) == (40, 40, 0)
        assert h.fake.sends() == []
        for uid in (1, 40):
            assert [r.status for r in await log_rows(h, uid)] == ["late"]
            assert (await h.db_user(uid)).next_reminder_at == DUE + timedelta(days=2)  # type: ignore[union-attr]
        h.now = DUE + timedelta(days=2)
        assert (await dispatch(h)).queued == 40
        assert all(len(reminders_for(h, uid)) == 1 for uid in range(1, 41))


async def test_habit_reminds_every_day(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_user(h, 1)
        days = []
        for _ in range(7):
            user = await h.db_user(1)
            assert user is not None and user.next_reminder_at is not None
            h.now = user.next_reminder_at
            await dispatch(h)
            days.append(h.now.astimezone(ZoneInfo("Europe/Berlin")).date())
        assert days == [date(2026, 3, 2) + timedelta(days=i) for i in range(7)]
        assert len(reminders_for(h, 1)) == 7


async def test_maintenance_reminds_on_chosen_days_with_the_week_count(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)  # Monday
        await make_user(h, 1, phase="maintenance", weekday_mask=(1 << 1) | (1 << 3) | (1 << 5))
        sent_on = []
        for _ in range(4):
            user = await h.db_user(1)
            assert user is not None and user.next_reminder_at is not None
            h.now = user.next_reminder_at
            await dispatch(h)
            sent_on.append(h.now.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %H:%M"))
        assert sent_on == ["Tue 08:00", "Thu 08:00", "Sat 08:00", "Tue 08:00"]
        assert "This week: 0 of 3" in reminders_for(h, 1)[0]


async def test_daily_phase_check_in_arrives_with_the_reminder(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(hours=1)
        await make_user(h, 1, phase="daily", checkin_on=date(2026, 3, 2))
        h.now = DUE
        await dispatch(h)
        person = h.fake.user(1)
        reminder = person.last_bot_message()
        assert "less sore" in (reminder.text or "")
        assert reminder.buttons == [*REMINDER_BUTTONS, "Yes, less sore", "Still sore"]
        await h.press(person, "Yes, less sore")
        user = await h.db_user(1)
        assert user is not None and user.phase == "maintenance"
        async with h.db.session() as s:
            changes = (await s.execute(select(PhaseChange.reason).order_by(PhaseChange.id))).scalars().all()
        assert changes == ["checkin_due", "checkin_less_sore"]


async def test_flare_up_from_a_reminder_returns_to_daily_at_once(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = DUE - timedelta(days=1)
        await make_user(h, 1, phase="maintenance", weekday_mask=0b1111111)
        h.now = DUE
        await dispatch(h)
        person = h.fake.user(1)
        await h.press(person, "😣 Flare-up")
        user = await h.db_user(1)
        assert user is not None and user.phase == "flare" and user.checkin_on == date(2026, 3, 9)
        assert "Back to daily stretching" in h.last_text(person)


async def test_habit_ends_after_21_counted_days(db: Database) -> None:
    async with running_bot(db) as h:
        person = h.user()
        await h.onboard(person)
        await h.press(person, "Wait for my reminder")
        user = await h.db_user(person.user_id)
        assert user is not None and user.phase_started_on is not None
        start = user.phase_started_on - timedelta(days=20)
        await practised(h, person.user_id, [start + timedelta(days=i) for i in range(20)])
        async with h.db.session() as s:
            await s.execute(update(User).where(User.id == user.id).values(phase_started_on=start))
        await h.say(person, "/stretch")
        await h.press(person, "2")
        for _ in STEPS:
            await h.press(person, "✅ Done")
        await h.press(person, "1")
        assert "21 days" in h.last_text(person)
        assert (await h.db_user(person.user_id)).phase == "checkin"  # type: ignore[union-attr]
        await h.press(person, "Still sore")
        user = await h.db_user(person.user_id)
        assert user is not None and user.phase == "daily" and user.checkin_on is not None


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
async def test_reminder_stays_at_local_time_across_dst(db: Database, zone: str) -> None:
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
        await make_user(h, 1, tz=zone)
        local_times = set()
        for _ in range(30):  # through the March switches in Europe and the US
            user = await h.db_user(1)
            assert user is not None and user.next_reminder_at is not None
            h.now = user.next_reminder_at
            await dispatch(h)
            local_times.add(h.now.astimezone(ZoneInfo(zone)).time())
        assert local_times == {time(8, 0)}
        assert len(reminders_for(h, 1)) == 30


async def test_one_drain_claims_a_backlog_in_back_to_back_batches(db: Database) -> None:
    async with running_bot(db, dispatch_batch_size=5) as h:
        h.now = DUE - timedelta(minutes=1)
        await make_users(h, range(1, 13))
        h.now = DUE + timedelta(seconds=1)
        await h.runtime.dispatcher.drain()  # what one scheduler tick starts
        await h.runtime.sender.drain()
        assert h.runtime.dispatcher.stats.runs == 3  # 5 + 5 + 2: the short batch ends it
        assert [len(reminders_for(h, uid)) for uid in range(1, 13)] == [1] * 12


async def test_two_runtimes_on_one_database_send_each_reminder_once(postgres_url: str, db: Database) -> None:
    """Two processes' worth of runtimes (own engines, dispatchers and senders) race over
    the same due users: they claim disjoint users and each reminder goes out once."""
    async with running_bot(db, dispatch_batch_size=50) as h:
        h.now = DUE - timedelta(minutes=1)
        users = range(1, 201)
        await make_users(h, users)
        h.now = DUE + timedelta(seconds=1)
        other = Database(postgres_url)
        try:
            async with running_bot(other, fake=h.fake, dispatch_batch_size=50) as h2:
                h2.now = h.now
                claimed: dict[str, list[int]] = {"one": [], "two": []}
                for name, runtime in (("one", h.runtime), ("two", h2.runtime)):
                    submit = runtime.sender.submit

                    def spy(items, submit=submit, seen=claimed[name]):  # type: ignore[no-untyped-def]
                        seen.extend(item.chat_id for item in items)
                        submit(items)

                    runtime.sender.submit = spy  # type: ignore[method-assign]
                for _ in range(4):
                    await asyncio.gather(h.runtime.dispatcher.run_once(), h2.runtime.dispatcher.run_once())
                await asyncio.gather(h.runtime.sender.drain(), h2.runtime.sender.drain())
                assert claimed["one"] and claimed["two"]
                assert not set(claimed["one"]) & set(claimed["two"])
                assert sorted(claimed["one"] + claimed["two"]) == list(users)
                sent = h.runtime.sender.stats.reminders_sent + h2.runtime.sender.stats.reminders_sent
                assert sent == len(users)
        finally:
            await other.dispose()
        assert [len(reminders_for(h, uid)) for uid in users] == [1] * len(users)
        async with h.db.session() as s:
            statuses = (await s.execute(select(ReminderLog.status))).scalars().all()
        assert len(statuses) == len(users) and set(statuses) == {"sent"}
        assert await h.count(OutboxEffect) == 0
