"""One Berlin user lives the habit schedule through the real bot, across the spring DST switch:
habit (21 counted days) -> check-in left unanswered for 3 reminders, then answered -> a
maintenance week that starts mid-week -> a flare-up they report -> daily -> the check-in
again. Every reminder, session end and /progress is read along the way (issue 20)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.routine import STEPS
from db.engine import Database
from tests.harness import Harness, running_bot
from tgemu import TelegramUser

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2027, 3, 8)  # a Monday; clocks go forward on Sunday 2027-03-28


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


async def reminder(h: Harness, user: TelegramUser, day: date) -> str:
    """The reminder of `day`: due at 08:00 Berlin time, whatever the offset that day."""
    stored = await h.db_user(user.user_id)
    assert stored is not None and stored.next_reminder_at is not None
    assert stored.next_reminder_at == at(day, 8), (day, stored.next_reminder_at)
    h.now = at(day, 8, 1)
    before = len(user.bot_messages())
    await h.dispatch()
    new = user.bot_messages()[before:]
    assert new, f"no reminder on {day}"
    return "\n---\n".join(m.text or "" for m in new)


async def session(h: Harness, user: TelegramUser, day: date) -> str:
    """A full session at 18:00 local; returns the session-end message."""
    h.now = at(day, 18)
    await h.say(user, "/stretch")
    if "in progress" in h.last_text(user):
        await h.press(user, "🔄 Start over")
    await h.press(user, "3")
    for _ in STEPS:
        await h.press(user, "✅ Done")
    await h.press(user, "3")
    end = next(t for t in reversed(h.texts(user)) if t.startswith("Session finished"))
    return end


async def progress(h: Harness, user: TelegramUser) -> str:
    await h.say(user, "/progress")
    return next(t for t in reversed(h.texts(user)) if "session" in t and "\n" in t)


async def test_a_user_lives_the_phases_across_the_dst_switch(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = at(FIRST_DAY - timedelta(days=1), 19)
        sam = h.user(4242, "Sam")
        await h.onboard(sam, zone="Europe/Berlin", at="08:00")
        await h.press(sam, "Wait for my reminder")

        # Habit: 21 counted days (one missed day on the 10th extends it to 22 calendar days).
        day = FIRST_DAY
        counted = 0
        while counted < 21:
            text = await reminder(h, sam, day)
            assert f"Day {counted + 1} of 21" in text, (day, text)
            if day == FIRST_DAY + timedelta(days=9):
                day += timedelta(days=1)  # missed: no session, no scolding, tomorrow's reminder comes
                continue
            end = await session(h, sam, day)
            counted += 1
            if counted < 21:
                assert f"Day {counted} of 21 done" in end, end
            if counted == 5:
                shown = await progress(h, sam)
                assert "Day 5 of 21 done" in shown and "(5 days counted" not in shown
            day += timedelta(days=1)
        assert "21 days of stretching" in end and "less sore" in end.lower()  # the check-in, at once
        last_habit_day = day - timedelta(days=1)
        assert last_habit_day > date(2027, 3, 28)  # we crossed the DST switch on the way
        check_in = sam.last_bot_message()
        assert check_in.buttons == ["Yes, less sore", "Still sore"]

        # The check-in left unanswered: every reminder carries it, with its buttons.
        for _ in range(3):
            text = await reminder(h, sam, day)
            message = sam.last_bot_message()
            assert "less sore than when you started" in text and "Yes, less sore" in message.buttons
            day += timedelta(days=1)
        shown = await progress(h, sam)
        progress_message = next(m for m in reversed(sam.bot_messages()) if m.text == shown)
        assert "less sore" in shown.lower() and "Yes, less sore" in progress_message.buttons

        # Answered on a Thursday: maintenance starts mid-week, counted against a prorated target.
        while day.weekday() != 3:
            await reminder(h, sam, day)
            day += timedelta(days=1)
        h.now = at(day, 8, 30)
        await reminder(h, sam, day)
        await h.press(sam, "Yes, less sore")
        answer = h.last_text(sam)
        assert "few sessions a week" in answer and "This week counts from today" in answer
        user = await h.db_user(sam.user_id)
        assert user is not None and user.phase == "maintenance"
        end = await session(h, sam, day)
        # Thursday is a rest day (Mon/Wed/Fri/Sun by default); the week's target is Fri and Sun.
        assert "extra session on a rest day" in end and "1 of 2" in end, end
        shown = await progress(h, sam)
        assert (
            "This week: 1 of 2 sessions" in shown and "first maintenance week counts from Thursday" in shown
        )
        user = await h.db_user(sam.user_id)
        assert user is not None and user.next_reminder_at is not None
        next_local = user.next_reminder_at.astimezone(BERLIN)
        assert next_local.weekday() in user.weekdays and next_local.time() == time(8)

        # A flare-up reported from a reminder's button is taken at once, with its own words.
        day = next_local.date()
        await reminder(h, sam, day)
        await h.press(sam, "😣 Flare-up")
        flare = h.last_text(sam)
        assert "flaring up" in flare and "daily stretching" in flare
        user = await h.db_user(sam.user_id)
        assert user is not None and user.phase == "flare" and user.checkin_on == day + timedelta(days=7)
        end = await session(h, sam, day)
        assert "gently" in end.lower() and "habit" not in end.lower()

        # Daily again until the week is up; then the check-in comes back with the reminder.
        for offset in range(1, 7):
            text = await reminder(h, sam, day + timedelta(days=offset))
            assert "gentle session" in text.lower(), text
        text = await reminder(h, sam, day + timedelta(days=7))
        assert "check-in" in text.lower() and "Yes, less sore" in sam.last_bot_message().buttons
        assert h.errors == [] and h.fake.count_429 == 0
