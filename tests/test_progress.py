"""/progress, /export and /delete through the real handlers against the database."""

import json
from datetime import date, timedelta

from sqlalchemy import func, select

from bot.domain.routine import STEPS
from bot.domain.screening import QUESTIONS
from db.engine import Database
from db.models import ALL_USER_TABLES, ExerciseResult, PracticeSession, ReminderLog, User
from tests.harness import Harness, running_bot


async def _history(h: Harness, telegram_id: int, days: int, *, skip_every: int = 5) -> int:
    """`days` of past sessions (every `skip_every`th day missed, pain falling), with results."""
    user = await h.db_user(telegram_id)
    assert user is not None
    today = h.now.date()
    completed = 0
    async with h.db.session() as s:
        for back in range(days, 0, -1):
            if back % skip_every == 0:
                continue
            pain = max(1, 7 - (days - back) // 6)
            practice = PracticeSession(
                user_id=user.id,
                local_date=today - timedelta(days=back),
                status="completed",
                stage="done",
                step=len(STEPS),
                pain_before=pain,
                pain_after=max(0, pain - 1),
                started_at=h.now - timedelta(days=back),
            )
            s.add(practice)
            await s.flush()
            for step in STEPS:
                s.add(
                    ExerciseResult(
                        session_id=practice.id,
                        exercise_key=step.exercise.key,
                        side=step.side,
                        outcome="done",
                        recorded_at=h.now,
                    )
                )
            completed += 1
    return completed


async def test_progress_for_a_new_user_is_friendly_without_a_picture(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        await h.say(alex, "/progress")
        text = h.texts(alex)[-1]
        assert "Day 1 of 21" in text and "0 sessions completed" in text and "picture will appear" in text
        assert not any(m.attachments for m in alex.bot_messages())
        assert h.errors == []


async def test_progress_with_thirty_days_shows_streaks_trend_and_picture(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        completed = await _history(h, alex.user_id, 30)
        await h.say(alex, "/progress")
        photo = alex.last_bot_message()
        assert photo.attachment is not None and photo.attachment.data[:8] == b"\x89PNG\r\n\x1a\n"
        text = h.texts(alex)[-2]
        assert f"{completed} sessions completed" in text
        assert "4 days in a row" in text  # days 4..1 ago; today not done yet
        assert "Pain before sessions: 7" in text and "Pain after sessions: 6" in text
        assert "meaningful improvement" in text and "Habit strength" in text
        assert "scold" not in text.lower() and "missed" not in text.lower()


async def test_incomplete_sessions_do_not_count_for_the_streak(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        user = await h.db_user(alex.user_id)
        async with h.db.session() as s:
            for back, status in ((2, "completed"), (1, "incomplete")):
                s.add(
                    PracticeSession(
                        user_id=user.id,
                        local_date=h.now.date() - timedelta(days=back),  # type: ignore[union-attr]
                        status=status,
                        stage="done",
                        step=13,
                        started_at=h.now,
                    )
                )
        await h.say(alex, "/progress")
        text = h.texts(alex)[-2]
        assert "A new run starts with your next session (best so far: 1 day)" in text
        assert "1 session completed" in text


async def test_export_contains_everything_about_the_user(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "▶️ Start now")
        await h.press(alex, "4")
        await h.press(alex, "✅ Done")
        await h.press(alex, "Skip")
        await h.say(alex, "/export")
        document = alex.last_bot_message().attachment
        assert document is not None and document.filename == "stretch-coach-data.json"
        data = json.loads(document.data)
        assert data["format"] == "stretch-coach-export" and data["profile"]["telegram_id"] == alex.user_id
        assert data["profile"]["timezone"] == "Europe/Berlin"
        session = data["sessions"][0]
        assert session["pain_before"] == 4 and session["status"] == "open"
        assert [(r["exercise_key"], r["side"], r["outcome"]) for r in session["results"]] == [
            ("knees_to_chest", "left", "done"),
            ("knees_to_chest", "right", "skipped"),
        ]
        assert (
            len(data["screening_answers"]) == len(QUESTIONS)
            and "reminders" in data
            and "phase_changes" in data
        )
        assert h.errors == []


async def _rows_about(db: Database, user_id: int, telegram_id: int) -> dict[str, int]:
    counts = {}
    async with db.session() as s:
        session_ids = select(PracticeSession.id).where(PracticeSession.user_id == user_id)
        for model in ALL_USER_TABLES:
            if model is User:
                where = User.telegram_id == telegram_id
            elif model is ExerciseResult:
                where = ExerciseResult.session_id.in_(session_ids)
            else:
                where = model.user_id == user_id  # type: ignore[attr-defined]
            counts[model.__tablename__] = int(
                await s.scalar(select(func.count()).select_from(model).where(where)) or 0
            )
    return counts


async def test_delete_erases_every_row_and_stops_reminders(db: Database) -> None:
    async with running_bot(db) as h:
        alex, sam = h.user(1001, "Alex"), h.user(1002, "Sam")
        for person in (alex, sam):
            await h.onboard(person)
            await h.press(person, "▶️ Start now")
            await h.press(person, "4")
            await h.press(person, "✅ Done")
        user = await h.db_user(alex.user_id)
        assert user is not None
        async with db.session() as s:
            s.add(ReminderLog(user_id=user.id, due_at=h.now, local_date=date(2026, 3, 2), status="sent"))
        before = await _rows_about(db, user.id, alex.user_id)
        assert all(
            before[name] > 0
            for name in (
                "users",
                "practice_sessions",
                "exercise_results",
                "reminder_log",
                "screening_answers",
            )
        )
        await h.say(alex, "/delete")
        await h.press(alex, "No, keep it")
        assert await _rows_about(db, user.id, alex.user_id) == before
        await h.say(alex, "/delete")
        await h.press(alex, "Yes, erase everything")
        assert "everything about you is erased" in h.last_text(alex)
        assert set((await _rows_about(db, user.id, alex.user_id)).values()) == {0}
        sam_user = await h.db_user(sam.user_id)
        assert sam_user is not None and sum((await _rows_about(db, sam_user.id, sam.user_id)).values()) > 0
        # Old buttons from the erased user do nothing; /start begins afresh.
        await h.say(alex, "/stretch")
        assert "Send /start" in h.last_text(alex)
        assert h.errors == []


async def test_the_next_reminder_shown_is_the_one_that_comes(db: Database) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from db.models import ReminderLog

    berlin = ZoneInfo("Europe/Berlin")
    async with running_bot(db) as h:
        h.now = datetime(2027, 5, 3, 5, 0, tzinfo=UTC)  # Monday 07:00 in Berlin, before the 08:00 reminder
        alex = h.user()
        await h.onboard(alex, at="08:00")
        await h.press(alex, "▶️ Start now")
        await h.press(alex, "3")
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        await h.press(alex, "3")
        await h.say(alex, "/settings")
        assert "Next reminder: Tuesday at 8:00" in h.texts(alex)[-1]
        await h.say(alex, "/progress")
        assert any("Next reminder: Tuesday at 8:00" in t for t in h.texts(alex)[-2:])
        h.now = datetime(2027, 5, 3, 6, 5, tzinfo=UTC)  # 08:05 local: nothing comes today
        await h.dispatch()
        assert await h.count(ReminderLog) == 0
        # Maintenance on Mon/Wed/Fri/Sun: a session on Sunday puts the next reminder in the next week.
        user = await h.db_user(alex.user_id)
        assert user is not None
        async with h.db.session() as s:
            stored = await s.get(type(user), user.id)
            assert stored is not None
            stored.phase = "maintenance"  # type: ignore[assignment]
            stored.phase_started_on = datetime(2027, 5, 3).date()
        h.now = datetime(2027, 5, 9, 16, 0, tzinfo=UTC)  # Sunday 18:00 local
        await h.say(alex, "/stretch")
        await h.press(alex, "3")
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        await h.press(alex, "3")
        await h.say(alex, "/settings")
        assert "Next reminder: Monday at 8:00" in h.texts(alex)[-1]
        stored_user = await h.db_user(alex.user_id)
        assert stored_user is not None and stored_user.next_reminder_at is not None
        local = stored_user.next_reminder_at.astimezone(berlin)
        assert (local.date().isoformat(), local.hour) == ("2027-05-10", 8)


async def test_report_is_a_one_page_pdf_with_the_users_own_numbers(db: Database) -> None:
    import io

    from pypdf import PdfReader

    async with running_bot(db) as h:
        alex, bea = h.user(1001, "Alex"), h.user(1002, "Bea")
        for person in (alex, bea):
            await h.onboard(person)
            await h.press(person, "Wait for my reminder")
        await _history(h, alex.user_id, 20)
        await _history(h, bea.user_id, 9, skip_every=2)
        await h.say(alex, "/report")
        document = alex.last_bot_message().attachment
        assert document is not None and document.filename == "stretch-coach-report.pdf"
        pdf = PdfReader(io.BytesIO(document.data))
        assert len(pdf.pages) == 1
        text = pdf.pages[0].extract_text()
        assert "Alex" in text and "Bea" not in text
        assert "16" in text  # Alex's completed sessions (20 days, every 5th missed)
        assert h.errors == []
