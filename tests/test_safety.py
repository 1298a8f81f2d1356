"""Safety through the real handlers: stops that stay stopped, the symptom watch, the
follow-up after a painful session, the six-week advice, /urgent and /help."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.buttons import ScreenAnswer
from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS, emergency_questions
from db.engine import Database
from db.models import Pause, PracticeSession, ReminderLog, User
from tests.harness import Harness, running_bot
from tgemu import TelegramUser

CONSENT = "I have seen or will see a clinician"
REDO = "Answer the safety questions again"
CLEARED = "A clinician has cleared me"


async def _to_screen(h: Harness, user: TelegramUser) -> None:
    await h.say(user, "/start")
    await h.press(user, "Let's go")
    await h.press(user, CONSENT)


def _no_question_buttons(user: TelegramUser) -> bool:
    """No Yes/No screening buttons anywhere the user can still tap."""
    return not any("Yes" in m.buttons or "No" in m.buttons for m in user.bot_messages())


async def test_an_emergency_stop_stays_stopped_against_everything(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _to_screen(h, alex)
        first_question = alex.last_bot_message()
        await h.press(alex, "Yes")  # numbness around the genitals or back passage
        stop = h.last_text(alex)
        assert "emergency department" in stop and "local emergency number" in stop
        assert alex.last_bot_message().buttons == [REDO]
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "emergency"
        # Free text, an old question button, /stretch, /settings, a forged answer: only the stop.
        old_answer = ScreenAnswer(QUESTIONS[1].key, False).pack()
        alex.press_raw(ScreenAnswer(QUESTIONS[0].key, False).pack(), first_question.message_id)
        await h.pump()
        for text in ("hello?", "/stretch", "/settings", "/progress", "/start"):
            await h.say(alex, text)
            message = alex.last_bot_message()
            assert "stopped" in (message.text or "") and message.buttons == [REDO], (text, message.text)
        alex.press_raw(old_answer, first_question.message_id)
        await h.pump()
        assert alex.last_bot_message().buttons == [REDO]
        assert not any(m.text and m.text.startswith("Question 2 of") for m in alex.bot_messages())
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "emergency" and user.next_reminder_at is None
        # /help and /urgent still work while stopped, and list the emergency signs.
        await h.say(alex, "/urgent")
        assert "both legs" in h.last_text(alex) and "emergency department" in h.last_text(alex)
        await h.say(alex, "/help")
        assert "/stretch" in h.last_text(alex) and "back passage" in h.last_text(alex)
        # The explicit way back: the whole screen again, and all "no" continues the set-up.
        await h.say(alex, "/start")
        await h.press(alex, REDO)
        for _ in QUESTIONS:
            await h.press(alex, "No")
        assert "time zone" in h.last_text(alex).lower()
        async with db.session() as s:
            pauses = (await s.execute(select(Pause.reason, Pause.ended_on))).all()
        assert [reason for reason, _ in pauses] == ["emergency"] and pauses[0][1] is not None
        assert h.errors == []


async def test_a_doctor_today_pause_asks_the_rest_and_lifts_on_clearance(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _to_screen(h, alex)
        for _ in emergency_questions():
            await h.press(alex, "No")
        await h.press(alex, "Yes")  # one leg or foot getting weaker
        assert "checked by a doctor today" in h.texts(alex)[-2]
        for _ in QUESTIONS[len(emergency_questions()) + 1 :]:
            await h.press(alex, "No")  # the clinician gets the full picture
        assert "see a doctor today" in h.last_text(alex)
        assert alex.last_bot_message().buttons == [CLEARED, REDO]
        await h.say(alex, "what now")
        assert alex.last_bot_message().buttons == [CLEARED, REDO]
        await h.press(alex, CLEARED)
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "clear" and user.cleared_at is not None
        assert "time zone" in h.last_text(alex).lower()


async def _session_with_pain(h: Harness, user: TelegramUser, before: int) -> None:
    await h.say(user, "/stretch")
    if "in progress" in h.last_text(user):
        await h.press(user, "🔄 Start over")
    await h.press(user, str(before))


async def test_spreading_pain_ends_the_session_rechecks_and_the_next_reminder_asks(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        await _session_with_pain(h, alex, 3)
        await h.press(alex, "🛑 Stop - it hurts")
        await h.press(alex, "Pain spreading down my leg")
        texts = h.texts(alex)
        assert any("Pain spreading further down the leg" in t and "Session ended" in t for t in texts[-4:])
        assert any("spreading further down your leg" in t for t in texts[-3:])  # why the re-check comes
        assert h.last_text(alex).startswith(f"Question 1 of {len(emergency_questions())}:")
        async with h.db.session() as s:
            practice = (await s.execute(select(PracticeSession))).scalar_one()
        assert practice.status == "abandoned"
        for _ in emergency_questions():
            await h.press(alex, "No")
        assert "rest from the stretches today" in h.last_text(alex)
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "clear" and user.pain_rose_on is not None
        # The next morning's reminder asks how it settled, with its buttons.
        h.now += timedelta(days=1)
        assert user.next_reminder_at is not None
        h.now = max(h.now, user.next_reminder_at)
        await h.dispatch()
        question = alex.last_bot_message()
        assert "How is it now?" in (question.text or "") and "It has settled" in question.buttons
        await h.press(alex, "It has settled")
        assert "Good to hear" in h.last_text(alex)
        assert (await h.db_user(alex.user_id)).pain_rose_on is None  # type: ignore[union-attr]


async def test_pain_above_usual_rechecks_first_then_the_session_carries_on(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        await _session_with_pain(h, alex, 3)
        await h.say(alex, "/cancel")
        h.now += timedelta(days=1)
        await _session_with_pain(h, alex, 5)  # 2 above the usual 3
        assert "clearly higher than usual" in h.texts(alex)[-2]
        assert h.last_text(alex).startswith("Question 1 of")
        for _ in emergency_questions():
            await h.press(alex, "No")
        card = alex.last_bot_message()
        assert "Exercise 1 of 7" in (card.text or "") and "✅ Done" in card.buttons  # carries on
        await h.press(alex, "✅ Done")
        # Within 3 days, another rise does not ask again.
        h.now += timedelta(days=1)
        await _session_with_pain(h, alex, 6)
        assert "Exercise 1 of 7" in h.last_text(alex)
        user = await h.db_user(alex.user_id)
        assert user is not None and user.last_recheck_on == (h.now - timedelta(days=1)).date()


async def test_the_six_week_advice_comes_once_unprompted_and_stays_in_progress(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        assert user is not None
        start = h.now.date() - timedelta(days=45)
        async with h.db.session() as s:
            for back in range(45, 0, -3):  # pain stays at 5 for six weeks
                s.add(
                    PracticeSession(
                        user_id=user.id,
                        local_date=h.now.date() - timedelta(days=back),
                        status="completed",
                        stage="done",
                        step=len(STEPS),
                        pain_before=5,
                        pain_after=5,
                        started_at=h.now - timedelta(days=back),
                    )
                )
        assert start < h.now.date()
        await _session_with_pain(h, alex, 5)
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        await h.press(alex, "5")
        advice = [t for t in h.texts(alex) if "about six weeks" in t]
        assert len(advice) == 1 and "doctor or physiotherapist" in advice[0]
        h.now += timedelta(days=1)
        await _session_with_pain(h, alex, 5)
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        await h.press(alex, "5")
        assert len([t for t in h.texts(alex) if "about six weeks" in t]) == 1  # once
        await h.say(alex, "/progress")
        assert any("about six weeks" in t for t in h.texts(alex)[-2:])


async def test_stopped_users_get_no_reminders_and_old_reminder_buttons_show_the_stop(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.next_reminder_at is not None
        h.now = user.next_reminder_at
        await h.dispatch()
        reminder = alex.last_bot_message()
        assert "▶️ Start now" in reminder.buttons
        snooze = next(data for label, data in reminder.keyboard[1] if label == "⏰ In 30 min")
        # New numbness mid-session, then a yes to an emergency question: stopped.
        await h.press(alex, "▶️ Start now")
        await h.press(alex, "3")
        await h.press(alex, "🛑 Stop - it hurts")
        await h.press(alex, "New numbness or weakness")
        await h.press(alex, "Yes")
        assert (await h.db_user(alex.user_id)).screen_status == "emergency"  # type: ignore[union-attr]
        alex.press_raw(snooze, reminder.message_id)  # an old reminder's button
        await h.pump()
        assert alex.last_bot_message().buttons == [REDO]
        h.now += timedelta(days=1, hours=1)
        await h.dispatch()
        async with h.db.session() as s:
            sent = (await s.execute(select(ReminderLog).where(ReminderLog.status == "sent"))).scalars().all()
            stored = (await s.execute(select(User))).scalar_one()
        assert len(sent) == 1 and stored.next_reminder_at is None


async def test_export_lists_every_safety_answer_with_its_date(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.say(alex, "/export")
        import json

        data = json.loads(alex.last_bot_message().attachment.data)  # type: ignore[union-attr]
        answers = data["screening_answers"]
        assert [a["question_key"] for a in answers] == [q.key for q in QUESTIONS]
        assert all(date.fromisoformat(a["at"][:10]) == h.now.date() for a in answers)
        assert {a["tier"] for a in answers} == {"emergency", "doctor_today", "doctor_first"}


async def test_new_questions_for_an_existing_user_come_before_their_next_session(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        new_keys = ["bowel", "sexual_function", "immune"]
        async with h.db.session() as s:
            user = (await s.execute(select(User))).scalar_one()
            user.screen_status = "pending"  # type: ignore[assignment]
            user.screen_round = new_keys  # as the safety-v2 migration leaves a user who was clear
        await h.say(alex, "/stretch")
        assert "more complete" in h.texts(alex)[-2]
        assert h.last_text(alex).startswith("Question 1 of 3:")
        for _ in new_keys:
            await h.press(alex, "No")
        assert "Send /stretch when you're ready" in h.last_text(alex)
        assert "running again" not in h.last_text(alex)
        await h.say(alex, "/stretch")
        assert "before we start" in h.last_text(alex)
