"""The guided session through real handlers, the emulator and PTB's JobQueue (timers scaled 100x)."""

import asyncio

from sqlalchemy import select, update

from bot.domain.routine import ROUTINE, STEPS
from bot.domain.screening import ScreenStatus, emergency_questions
from db.engine import Database
from db.models import ExerciseResult, PracticeSession, User
from tests.harness import Harness, running_bot


async def _start_session(h: Harness, user, pain: str = "3") -> None:  # type: ignore[no-untyped-def]
    await h.onboard(user)
    await h.press(user, "▶️ Start now")
    assert "before we start" in h.last_text(user)
    await h.press(user, pain)


async def _results(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(ExerciseResult.exercise_key, ExerciseResult.side, ExerciseResult.outcome).order_by(
                ExerciseResult.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def _session(db: Database) -> PracticeSession:
    async with db.session() as s:
        return (
            (await s.execute(select(PracticeSession).order_by(PracticeSession.id.desc()))).scalars().first()
        )  # type: ignore[return-value]


async def _wait_text(h: Harness, user, needle: str) -> None:  # type: ignore[no-untyped-def]
    await h.fake.wait_for(lambda: any(needle in t for t in h.texts(user)), timeout=5, what=needle)


async def test_full_session_every_dose_type_and_both_sides(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        first = alex.last_bot_message()
        assert first.text.startswith("Exercise 1 of 7 · Knees to chest")
        assert "Left knee to chest" in first.text and "Hold 20 seconds" in first.text
        assert first.attachment is not None and first.attachment.kind == "animation"
        # The hold timer on the first step: it ends by itself and says to change sides.
        await h.press(alex, "⏱ Start 20 s timer")
        assert "seconds to go" in h.last_text(alex)
        await _wait_text(h, alex, "change sides")
        await h.fake.wait_for(lambda: "Other side: Right knee to chest" in h.last_text(alex), timeout=5)
        seen_doses = set()
        for step in STEPS[1:]:
            message = alex.last_bot_message()
            text = message.text or ""
            if step.first_side:
                assert f"Exercise {step.exercise.number} of 7" in text, text
            else:
                assert "↔ Other side" in text and "Exercise" not in text, text  # a one-line cue
            assert message.attachment is not None and message.attachment.kind == "animation"
            assert message.attachment.filename == f"{step.exercise.key}.gif"
            seen_doses.add(step.exercise.dose.kind)
            await h.press(alex, "✅ Done")
        assert {"hold", "reps", "breaths"} == {str(k) for k in seen_doses}
        assert "after the session" in h.last_text(alex)
        await h.press(alex, "2")
        summary = h.texts(alex)[-1]
        assert "done: 7" in summary and "Day 1 of 21 done" in summary
        results = await _results(db)
        assert len(results) == len(STEPS) and all(outcome == "done" for *_, outcome in results)
        practice = await _session(db)
        assert practice.status == "completed" and (practice.pain_before, practice.pain_after) == (3, 2)
        assert practice.stage == "done"
        assert h.errors == []
        # Telegram's limits held, and each illustration was uploaded once.
        assert h.fake.count_429 == 0
        assert sorted(u.filename for u in h.fake.uploads) == sorted(f"{e.key}.gif" for e in ROUTINE)


async def test_illustrations_upload_once_per_bot_across_users_and_restarts(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "✅ Done")
        uploads = len(h.fake.uploads)
        bob = h.user(2002, "Bob")
        await _start_session(h, bob)
        await h.press(bob, "✅ Done")
        assert len(h.fake.uploads) == uploads == 1  # the first exercise, once
        fake = h.fake
    async with running_bot(db, fake=fake) as h:  # a restart, same Telegram
        carol = h.user(3003, "Carol")
        await _start_session(h, carol)
        assert carol.last_bot_message().attachment is not None
        assert len(h.fake.uploads) == 1


async def test_no_band_user_sees_body_weight_versions(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex, band=False)
        await h.press(alex, "▶️ Start now")
        await h.press(alex, "3")
        for step in STEPS:
            if step.exercise.key == "hip_abduction_band":
                break
            await h.press(alex, "✅ Done")
        card = alex.last_bot_message()
        assert card.attachment is not None and card.attachment.filename == "hip_abduction_band-no_band.gif"
        assert "band" not in card.text.split("\n")[0].lower() or "without" in card.text.lower()
        await h.press(alex, "✅ Done")
        await h.press(alex, "✅ Done")
        assert await _results(db) == [
            (s.exercise.key, s.side, "done") for s in STEPS[: STEPS.index(step) + 2]
        ]


async def test_hold_length_is_chosen_once_and_used_by_the_timer(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        for _ in range(4):  # to the seated hip stretch (30-60 s)
            await h.press(alex, "✅ Done")
        card = alex.last_bot_message()
        assert "Seated hip stretch" in card.text and "✓ 30 s" in card.buttons
        await h.press(alex, "45 s")
        assert "⏱ Start 45 s timer" in alex.last_bot_message().buttons
        user = await h.db_user(alex.user_id)
        assert user is not None and user.hold_seconds == {"seated_hip": 45}
        await h.press(alex, "⏱ Start 45 s timer")
        practice = await _session(db)
        assert practice.hold_until is not None
        assert abs((practice.hold_until - h.now).total_seconds() - 45 * 0.01) < 0.05
        await h.say(alex, "/settings")
        assert "⏱ Hold length" in alex.last_bot_message().buttons


async def test_skip_and_stop_for_pain(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "Skip")  # knees to chest, left
        await h.press(alex, "🛑 Stop - it hurts")  # knees to chest, right
        advice = h.last_text(alex)
        assert "stopped for pain" in advice and "spreads further down your leg" in advice
        assert "New numbness or weakness" in alex.last_bot_message().buttons
        await h.press(alex, "Go on gently")
        assert "Exercise 2 of 7" in h.last_text(alex)
        await h.press(alex, "🛑 Stop - it hurts")  # piriformis, left
        await h.press(alex, "End the session")
        assert "after the session" in h.last_text(alex)
        await h.press(alex, "4")
        summary = h.texts(alex)[-2]
        assert "doesn't count" in summary and "stopped: 2" in summary
        assert "settle within 24 hours" in h.texts(alex)[-1]  # pain 3 -> 4
        assert await _results(db) == [
            ("knees_to_chest", "left", "skipped"),
            ("knees_to_chest", "right", "stopped_pain"),
            ("piriformis_lying", "left", "stopped_pain"),
        ]
        assert (await _session(db)).status == "incomplete"


async def _run_with_done_exercises(h: Harness, user, done: int) -> None:  # type: ignore[no-untyped-def]
    for step in STEPS:
        await h.press(user, "✅ Done" if step.exercise.number <= done else "Skip")
    await h.press(user, "1")


async def test_four_of_seven_rule_at_the_edges(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await _run_with_done_exercises(h, alex, 3)
        assert (await _session(db)).status == "incomplete"
        await h.say(alex, "/stretch")
        await h.press(alex, "3")
        await _run_with_done_exercises(h, alex, 4)
        assert (await _session(db)).status == "completed"
        assert "Day 1 of 21 done" in h.texts(alex)[-1]


async def test_timer_after_cancel_does_nothing(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "⏱ Start 20 s timer")
        await h.say(alex, "/cancel")
        assert "Session ended" in h.last_text(alex)
        before = len(alex.chat())
        await asyncio.sleep(0.4)  # the 20 s hold at 1/100 speed has long passed
        assert len(alex.chat()) == before
        assert await _results(db) == []
        assert (await _session(db)).status == "abandoned"
        assert h.errors == []


async def test_double_tap_records_once(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        step_message = alex.last_bot_message()
        done = next(d for d in step_message.callback_data if d.endswith(":d"))
        alex.press_raw(done, step_message.message_id)
        alex.press_raw(done, step_message.message_id)
        await h.pump()
        assert await _results(db) == [("knees_to_chest", "left", "done")]
        assert "Already noted" in str(alex.callback_answers()[-1])
        assert h.errors == []


async def test_button_from_a_finished_session_is_refused(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        old = alex.last_bot_message()
        old_done = next(d for d in old.callback_data if d.endswith(":d"))
        await h.say(alex, "/cancel")
        alex.press_raw(old_done, old.message_id)
        await h.pump()
        assert "session has ended" in str(alex.callback_answers()[-1])
        assert await _results(db) == []


async def test_done_while_stopped_shows_the_stop_and_moves_nothing(db: Database) -> None:
    """Done's quick path checks the stop in its own UPDATE: a stopped user's tap falls back
    to the stop gate, and the session stays where it was."""
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        card = alex.last_bot_message()
        done = next(d for d in card.callback_data if d.endswith(":d"))
        async with db.session() as s:
            stop = update(User).values(screen_status=ScreenStatus.EMERGENCY)
            await s.execute(stop.where(User.telegram_id == alex.user_id))
        alex.press_raw(done, card.message_id)
        await h.pump()
        assert "emergency department" in h.last_text(alex)
        assert await _results(db) == []
        assert (await _session(db)).step == 0
        assert h.errors == []


async def test_free_text_mid_session_repeats_the_step(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.say(alex, "what now?")
        assert "Tap a button" in h.texts(alex)[-2]
        assert h.last_text(alex).startswith("Exercise 1 of 7")
        await h.press(alex, "✅ Done")
        assert await _results(db) == [("knees_to_chest", "left", "done")]


async def test_restart_mid_session_then_resume(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "✅ Done")
        await h.press(alex, "Skip")
        await h.press(alex, "✅ Done")
        now = h.now
    async with running_bot(db) as h:  # a fresh Application: only the database remembers
        h.now = now
        alex = h.user()
        await h.say(alex, "/stretch")
        assert "in progress" in h.last_text(alex)
        await h.press(alex, "▶️ Continue")
        assert h.last_text(alex).startswith("↔ Other side: Right ankle on your left knee")
        for _ in STEPS[3:]:
            await h.press(alex, "✅ Done")
        await h.press(alex, "3")
    results = await _results(db)
    assert len(results) == len(STEPS) == len(set((k, s) for k, s, _ in results))
    assert results[:3] == [
        ("knees_to_chest", "left", "done"),
        ("knees_to_chest", "right", "skipped"),
        ("piriformis_lying", "left", "done"),
    ]


async def test_stretch_refused_until_onboarded(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.say(alex, "/stretch")
        assert "Send /start" in h.last_text(alex)
        await h.say(alex, "/start")
        await h.say(alex, "/stretch")
        assert "finish setting up" in h.last_text(alex)


async def test_pain_rise_reruns_emergency_questions(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex, pain="3")
        for _ in STEPS:
            await h.press(alex, "✅ Done")
        await h.press(alex, "6")
        assert any("pain went up during this session" in t for t in h.texts(alex)[-3:])
        assert any("settle within 24 hours" in t for t in h.texts(alex)[-4:])
        assert h.last_text(alex).startswith(f"Question 1 of {len(emergency_questions())}:")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "recheck" and user.pain_rose_on is not None
        for _ in emergency_questions():
            await h.press(alex, "No")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "clear" and user.last_recheck_on is not None


async def test_new_numbness_stops_the_session_and_rescreens(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await _start_session(h, alex)
        await h.press(alex, "🛑 Stop - it hurts")
        await h.press(alex, "New numbness or weakness")
        assert (await _session(db)).status == "abandoned"
        assert h.last_text(alex).startswith(f"Question 1 of {len(emergency_questions())}:")
        await h.press(alex, "Yes")
        user = await h.db_user(alex.user_id)
        assert user is not None and user.screen_status == "emergency" and user.next_reminder_at is None
        assert await _results(db) == [("knees_to_chest", "left", "stopped_pain")]


async def test_blocking_the_bot_stops_reminders(db: Database) -> None:
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        alex.block_bot()
        await h.pump()
        user = await h.db_user(alex.user_id)
        assert user is not None and user.blocked and user.next_reminder_at is None
