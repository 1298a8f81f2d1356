"""What a reminder says, by phase and kind of day (issue 20), through the real dispatcher,
sender and emulator: the words and buttons the user actually gets, day after day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.routine import STEPS
from db.engine import Database
from tests.harness import Harness, running_bot
from tests.reminder_kit import dispatch, make_user, practised
from tgemu import ChatMessage

REMINDER_BUTTONS = ["▶️ Start now", "⏰ In 30 min", "⏰ In 1 hour", "Skip today", "😣 Flare-up"]
CHECKIN_BUTTONS = ["Yes, less sore", "Still sore"]
FOLLOW_UP_BUTTONS = [
    "It has settled",
    "Still a little sore",
    "It's worse",
    "New numbness or weakness",
    "Pain spreading down my leg",
]

HABIT = "Time to stretch 🧘 Day {day} of 21. About 15 minutes on your mat."
CHECKIN_REMINDER = "Time for today's stretches 🧘 About 15 minutes on your mat."
QUESTION = "Does your low back feel less sore than when you started?"
STILL_SORE = "Time for today's stretches 🧘 Gently does it; I'll ask how your back feels on {date}."
FLARE = (
    "Time for a gentle session 🧘 While your back settles, shorter holds are fine, and "
    "you can skip anything that hurts."
)
CHECKIN_DUE = "It's been a week of daily stretching: time for a quick check-in."


class Days:
    """One user's reminders, one at a time, at the instant each is planned for."""

    def __init__(self, h: Harness, telegram_id: int) -> None:
        self.h = h
        self.telegram_id = telegram_id
        self.person = h.fake.user(telegram_id)
        self.local_times: set[time] = set()

    async def next(self) -> tuple[date, list[ChatMessage]]:
        """Move the clock to the next reminder, run the dispatcher; the local day and what arrived."""
        user = await self.h.db_user(self.telegram_id)
        assert user is not None and user.next_reminder_at is not None
        self.h.now = user.next_reminder_at
        local = self.h.now.astimezone(ZoneInfo(user.timezone))
        self.local_times.add(local.time())
        before = len(self.person.bot_messages())
        report = await dispatch(self.h)
        assert report.queued == 1, report
        return local.date(), self.person.bot_messages()[before:]

    async def one(self) -> tuple[date, ChatMessage]:
        day, messages = await self.next()
        assert len(messages) == 1, [m.text for m in messages]
        return day, messages[0]


async def test_habit_reminders_count_the_days_that_counted(db: Database) -> None:
    """ "Day N of 21" is the day a session today would make: a missed day does not advance it."""
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # Sunday; the habit began today
        await make_user(h, 1)
        days = Days(h, 1)
        seen = []
        for practise in (True, False, True, True, False, False, True):
            day, reminder = await days.one()
            seen.append((day.day, reminder.text))
            assert reminder.buttons == REMINDER_BUTTONS
            if practise:
                await practised(h, 1, [day])
        assert seen == [
            (2, HABIT.format(day=1)),
            (3, HABIT.format(day=2)),  # Monday counted
            (4, HABIT.format(day=2)),  # Tuesday was missed: still day 2
            (5, HABIT.format(day=3)),
            (6, HABIT.format(day=4)),
            (7, HABIT.format(day=4)),
            (8, HABIT.format(day=4)),
        ]


async def test_an_unanswered_checkin_rides_on_reminders_then_the_kinder_default(db: Database) -> None:
    """Across the switch to summer time (Sunday 29 March 2026 in Berlin): the check-in
    question with its buttons on every reminder for a week, then "stay daily, ask again in a
    week" said once, daily reminders that name that date, and the check-in again."""
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 22, 12, 0, tzinfo=UTC)  # the habit ended this Sunday
        await make_user(h, 1, phase="checkin", phase_started_on=date(2026, 3, 22))
        days = Days(h, 1)
        for expected in range(23, 29):  # Monday to Saturday
            day, reminder = await days.one()
            assert day == date(2026, 3, expected)
            assert reminder.text == f"{CHECKIN_REMINDER}\n\n{QUESTION}"
            assert reminder.buttons == REMINDER_BUTTONS + CHECKIN_BUTTONS

        day, reminder = await days.one()  # a week without an answer
        assert day == date(2026, 3, 29)
        assert reminder.text == (
            "No answer to the check-in yet, and that's fine. I'll keep your stretches daily for now "
            "and ask again on Apr 5, 2026. If you'd like to answer sooner, the buttons above still work."
            f"\n\n{STILL_SORE.format(date='Apr 5, 2026')}"
        )
        assert reminder.buttons == REMINDER_BUTTONS
        user = await h.db_user(1)
        assert user is not None and user.phase == "daily" and user.checkin_on == date(2026, 4, 5)

        for expected in range(30, 36):  # Monday 30 March to Saturday 4 April
            day, reminder = await days.one()
            assert day == date(2026, 3, 30) + timedelta(days=expected - 30)
            assert reminder.text == STILL_SORE.format(date="Apr 5, 2026")
            assert reminder.buttons == REMINDER_BUTTONS

        day, reminder = await days.one()
        assert day == date(2026, 4, 5)
        assert reminder.text == f"{CHECKIN_DUE}\n\n{CHECKIN_REMINDER}\n\n{QUESTION}"
        assert reminder.buttons == REMINDER_BUTTONS + CHECKIN_BUTTONS
        assert days.local_times == {time(8, 0)}


async def test_the_buttons_the_notice_points_at_still_work(db: Database) -> None:
    """After the kinder default, an answer from an older reminder is still the user's word."""
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 22, 12, 0, tzinfo=UTC)
        await make_user(h, 1, phase="checkin", phase_started_on=date(2026, 3, 22))
        days = Days(h, 1)
        for _ in range(7):
            day, reminder = await days.one()
        assert day == date(2026, 3, 29) and "buttons above still work" in (reminder.text or "")
        person = days.person
        older = person.bot_messages()[5]  # Saturday 28 March's reminder, with the question
        assert older.buttons == REMINDER_BUTTONS + CHECKIN_BUTTONS
        h.advance(hours=2)
        await h.press(person, "Yes, less sore", older.message_id)
        user = await h.db_user(1)
        assert user is not None and user.phase == "maintenance" and user.phase_started_on == date(2026, 3, 29)
        assert h.last_text(person).startswith("Glad to hear it.")
        # Sunday is one of the default days, and the first maintenance week is this one day.
        assert h.last_text(person).endswith("This week counts from today: 1 session to aim for.")
        assert user.next_reminder_at == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday 08:00, summer time


async def test_maintenance_counts_its_week_from_the_day_it_began(db: Database) -> None:
    """Practised Monday to Thursday while still daily; "less sore" on Friday: the first
    maintenance week runs Friday to Sunday against a prorated target of 2 (Friday and
    Sunday are among Mon/Wed/Fri/Sun), the daily days never count, and Monday starts a
    full week of 4."""
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # Sunday
        await make_user(h, 1, phase="daily", phase_started_on=date(2026, 2, 27), checkin_on=date(2026, 3, 6))
        days = Days(h, 1)
        for _ in range(4):
            day, reminder = await days.one()
            assert reminder.text == STILL_SORE.format(date="Mar 6, 2026")
            await practised(h, 1, [day])
        assert day == date(2026, 3, 5)

        day, reminder = await days.one()  # Friday: the check-in is due again
        assert day == date(2026, 3, 6) and reminder.buttons == REMINDER_BUTTONS + CHECKIN_BUTTONS
        h.advance(minutes=5)
        await h.press(days.person, "Yes, less sore")
        assert h.last_text(days.person) == (
            "Glad to hear it. From now on, a few sessions a week keep your back in good shape: "
            "Monday, Wednesday, Friday, and Sunday. You can change the days in /settings. "
            "This week counts from today: 2 sessions to aim for."
        )
        await practised(h, 1, [date(2026, 3, 6)])

        day, reminder = await days.one()  # Saturday is a rest day: no reminder
        assert day == date(2026, 3, 8)
        assert reminder.text == (
            "It's one of your stretch days 🧘 Your first maintenance week counts from Friday: 1 of 2 so far."
        )
        assert reminder.buttons == REMINDER_BUTTONS
        await practised(h, 1, [day])

        day, reminder = await days.one()
        assert day == date(2026, 3, 9)
        assert reminder.text == "It's one of your stretch days 🧘 This week: 0 of 4 so far."
        await practised(h, 1, [day])

        day, reminder = await days.one()  # Tuesday is a rest day
        assert day == date(2026, 3, 11)
        assert reminder.text == "It's one of your stretch days 🧘 This week: 1 of 4 so far."


async def test_a_flare_up_from_the_reminder_is_taken_at_once(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        await make_user(h, 1, phase="maintenance", phase_started_on=date(2026, 2, 2))
        days = Days(h, 1)
        day, reminder = await days.one()
        assert day == date(2026, 3, 2)  # a Monday, one of the chosen days
        person = days.person
        h.advance(minutes=10)
        await h.press(person, "😣 Flare-up", reminder.message_id)  # one tap, no second question
        assert h.last_text(person) == (
            "Sorry your back is flaring up. Back to daily stretching for now: go gently, skip "
            "anything that hurts, and I'll check in with you on Mar 9, 2026."
        )
        user = await h.db_user(1)
        assert user is not None and user.phase == "flare" and user.checkin_on == date(2026, 3, 9)
        await h.press(person, "😣 Flare-up", reminder.message_id)  # again, the same day
        assert h.last_text(person) == "You're already on daily, gentle practice. Skip anything that hurts."

        for expected in range(3, 9):  # daily now, Tuesday and Saturday included
            day, reminder = await days.one()
            assert day == date(2026, 3, expected)
            assert reminder.text == FLARE and reminder.buttons == REMINDER_BUTTONS

        day, reminder = await days.one()
        assert day == date(2026, 3, 9)
        assert reminder.text == f"{CHECKIN_DUE}\n\n{CHECKIN_REMINDER}\n\n{QUESTION}"
        assert reminder.buttons == REMINDER_BUTTONS + CHECKIN_BUTTONS


async def test_a_flare_up_in_the_habit_phase_keeps_the_habit(db: Database) -> None:
    async with running_bot(db) as h:
        h.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        await make_user(h, 1)
        days = Days(h, 1)
        _, reminder = await days.one()
        await h.press(days.person, "😣 Flare-up")
        assert h.last_text(days.person) == (
            "Sorry your back is flaring up. You're already stretching every day, so your plan stays "
            "as it is: go gently, skip anything that hurts, and your habit days keep counting."
        )
        user = await h.db_user(1)
        assert user is not None and user.phase == "habit"
        _, reminder = await days.one()
        assert reminder.text == HABIT.format(day=1)


async def test_after_pain_went_up_the_next_reminder_asks_how_it_is(db: Database) -> None:
    async with running_bot(db) as h:
        person = h.user()
        await h.onboard(person)
        await h.press(person, "▶️ Start now")
        await h.press(person, "3")
        for _ in STEPS:
            await h.press(person, "✅ Done")
        await h.press(person, "4")
        assert any(
            text.startswith("Your pain was a little higher after the session (3 before, 4 after).")
            and text.endswith("I'll ask how it is with your next reminder.")
            for text in h.texts(person)[-3:]
        )
        days = Days(h, person.user_id)
        day, (reminder, question) = await days.next()
        assert day == date(2026, 3, 3)
        assert reminder.text == HABIT.format(day=2) and reminder.buttons == REMINDER_BUTTONS
        assert question.text == "Your pain went up after your last session. How is it now?"
        assert question.buttons == FOLLOW_UP_BUTTONS
        h.advance(minutes=3)
        await h.press(person, "It has settled")
        assert h.last_text(person) == "Good to hear. Carry on as usual."
        assert h.errors == []

        _, reminder = await days.one()  # asked once: the day after has the reminder only
        assert reminder.text == HABIT.format(day=2)
