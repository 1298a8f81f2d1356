"""Onboarding, the red-flag screen and settings through the real handlers and the emulator."""

from datetime import time

from sqlalchemy import select

from bot.buttons import Intro, IntroButton, ScreenAnswer, TimeButton
from bot.domain.screening import QUESTIONS, emergency_questions
from db.engine import Database
from db.models import ScreeningAnswer, User
from tests.harness import running_bot

CONSENT = "I have seen or will see a clinician"


async def test_full_onboarding_stores_every_answer(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        assert "7 gentle stretches" in h.last_text(alex)
        await h.press(alex, "Let's go")
        assert "not a doctor" in h.last_text(alex)
        await h.press(alex, CONSENT)
        for i in range(len(QUESTIONS)):
            assert h.last_text(alex).startswith(f"Question {i + 1} of {len(QUESTIONS)}:")
            await h.press(alex, "No")
        assert "time zone" in h.last_text(alex).lower()
        assert alex.reply_keyboard() is not None  # share-location keyboard
        await h.say(alex, "Berlin")
        assert "What time" in h.last_text(alex)
        await h.press(alex, TimeButton(7 * 60).pack())
        assert "resistance band" in h.last_text(alex)
        await h.press(alex, "No band")
        assert "first session" in h.last_text(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.onboarded
        assert (
            user.timezone == "Europe/Berlin" and user.reminder_time == time(7, 0) and user.has_band is False
        )
        assert user.screen_status == "clear" and user.consent_at is not None
        assert user.next_reminder_at is not None
        assert await h.count(ScreeningAnswer, ScreeningAnswer.user_id == user.id) == len(QUESTIONS)
        commands = await h.runtime.bot.get_my_commands()
        assert {c.command for c in commands} >= {"stretch", "progress", "settings", "help", "cancel"}
        assert h.errors == []


async def test_emergency_yes_stops_the_program(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, CONSENT)
        await h.press(alex, "No")
        await h.press(alex, "Yes")  # new trouble with peeing
        assert "emergency" in h.last_text(alex).lower()
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "emergency" and user.next_reminder_at is None
        async with db.session() as s:
            answers = (
                (
                    await s.execute(
                        select(ScreeningAnswer)
                        .where(ScreeningAnswer.user_id == user.id)
                        .order_by(ScreeningAnswer.id)
                    )
                )
                .scalars()
                .all()
            )
        assert [(a.question_key, a.answer) for a in answers] == [
            ("saddle_numbness", False),
            ("bladder", True),
        ]
        assert answers[-1].at is not None
        await h.say(alex, "/stretch")
        assert "stopped" in h.last_text(alex)
        # /start offers the screen again; all "no" this time continues the set-up.
        await h.say(alex, "/start")
        await h.press(alex, "Answer the safety questions again")
        for _ in QUESTIONS:
            await h.press(alex, "No")
        assert "time zone" in h.last_text(alex).lower()
        assert h.errors == []


async def test_see_a_doctor_first_pauses_until_cleared(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, CONSENT)
        for _ in emergency_questions():
            await h.press(alex, "No")
        await h.press(alex, "No")  # one leg getting weaker
        await h.press(alex, "Yes")  # fever
        for _ in QUESTIONS[len(emergency_questions()) + 2 :]:
            await h.press(alex, "No")  # the rest is still asked, for the clinician
        assert "doctor before you start" in h.last_text(alex)
        assert (await h.db_user(alex.user_id)).screen_status == "doctor_first"  # type: ignore[union-attr]
        await h.say(alex, "/stretch")
        assert "clinician" in h.last_text(alex)
        await h.press(alex, "A clinician has cleared me")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "clear" and user.cleared_at is not None
        assert "time zone" in h.last_text(alex).lower()


async def test_half_finished_onboarding_resumes_where_it_stopped(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, CONSENT)
        await h.press(alex, "No")
        await h.press(alex, "No")
    # A new Application on the same database: nothing lives in memory.
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        assert h.last_text(alex).startswith(f"Question 3 of {len(QUESTIONS)}:")


async def test_returning_user_sees_status_not_onboarding(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        await h.say(alex, "/start")
        assert "Welcome back" in h.last_text(alex)
        assert "▶️ Start today's session" in alex.last_bot_message().buttons


async def test_bad_input_gets_a_hint_and_changes_nothing(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.say(alex, "hello?")  # free text instead of a button
        assert "tap one of the buttons" in h.texts(alex)[-2]
        assert (await h.db_user(alex.user_id)).onboarding_step == "welcome"  # type: ignore[union-attr]
        await h.press(alex, "Let's go")
        await h.press(alex, CONSENT)
        for _ in QUESTIONS:
            await h.press(alex, "No")
        await h.say(alex, "Atlantis Prime")  # unknown zone
        assert "couldn't find a time zone" in h.texts(alex)[-1]
        assert (await h.db_user(alex.user_id)).onboarding_step == "timezone"  # type: ignore[union-attr]
        await h.say(alex, "UTC+5:30")
        await h.say(alex, "25:61")  # impossible time
        assert any("couldn't read" in t for t in h.texts(alex)[-2:])
        user = await h.db_user(alex.user_id)
        assert user is not None and user.reminder_time is None and user.timezone == "Asia/Kolkata"
        await h.say(alex, "7pm")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.reminder_time == time(19, 0)
        # Forged and stale payloads: answered, nothing changes.
        last = alex.last_bot_message()
        for forged in ("rf:99:y", "rf:0:maybe", "ob:agree", "tm:2561", "tz:Mars/Base", "zz", "x:1:2:3"):
            alex.press_raw(forged, last.message_id)
            await h.pump()
        after = await h.db_user(alex.user_id)
        assert after is not None and after.onboarding_step == "equipment" and after.screen_status == "clear"
        assert h.errors == []


async def test_location_sets_the_time_zone(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/start")
        await h.press(alex, "Let's go")
        await h.press(alex, CONSENT)
        for _ in QUESTIONS:
            await h.press(alex, "No")
        alex.send_location(40.7128, -74.0060)
        await h.pump()
        assert (await h.db_user(alex.user_id)).timezone == "America/New_York"  # type: ignore[union-attr]


async def test_settings_change_time_zone_days_and_pause(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        before = (await h.db_user(alex.user_id)).next_reminder_at  # type: ignore[union-attr]
        await h.say(alex, "/settings")
        await h.press(alex, "⏰ Reminder time")
        await h.say(alex, "18:30")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.reminder_time == time(18, 30) and user.next_reminder_at != before
        await h.say(alex, "/settings")
        await h.press(alex, "🌍 Time zone")
        await h.say(alex, "Tokyo")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.timezone == "Asia/Tokyo"
        await h.say(alex, "/settings")
        await h.press(alex, "📅 Practice days")
        await h.press(alex, "✅ Mon")
        await h.press(alex, "Tue")
        await h.press(alex, "Save")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.weekdays == frozenset({1, 2, 4, 6})
        await h.say(alex, "/pause")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.paused and user.next_reminder_at is None
        await h.say(alex, "/resume")
        user = await h.db_user(alex.user_id)
        assert user is not None and not user.paused and user.next_reminder_at is not None
        assert h.errors == []


async def test_group_chat_only_points_to_private(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        h.fake.group_message(-100123, alex, "/start")
        await h.pump()
        replies = [m.text for m in h.fake.chat_view(-100123) if m.from_bot]
        assert replies and "private chat" in replies[-1]
        assert await h.count(User) == 0


async def test_typed_cities_in_local_spellings_and_ambiguous_names(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user(language_code="de")
        await h.say(alex, "/start")
        await h.press(alex, IntroButton(Intro.WELCOME).pack())
        await h.press(alex, IntroButton(Intro.CONSENT).pack())
        for question in QUESTIONS:
            await h.press(alex, ScreenAnswer(question.key, False).pack())
        assert "Zeitzone" in h.last_text(alex)  # the German user is asked in German
        await h.say(alex, "Portland")  # two well-known places: the bot asks which
        choices = alex.last_bot_message().buttons
        assert (
            len(choices) >= 2 and any("Oregon" in c for c in choices) and any("Maine" in c for c in choices)
        )
        assert (await h.db_user(alex.user_id)).timezone == "UTC"  # type: ignore[union-attr]
        await h.say(alex, "Köln")
        assert (await h.db_user(alex.user_id)).timezone == "Europe/Berlin"  # type: ignore[union-attr]
        assert "Europe/Berlin" in h.texts(alex)[-2] and "UTC+01:00" in h.texts(alex)[-2]
        assert "Uhr" in h.last_text(alex)  # and the time question, in German too
