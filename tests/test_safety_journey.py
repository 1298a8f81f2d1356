"""The safety rules as a user meets them, at the domain and view level (no Telegram, no database).

Pain rises in a session, the user taps "pain spreading down my leg": the session ends
with its advice, the re-check comes at once (within 3 days of the last one: a nerve
symptom is never held back), the rise within the session does not ask a second time,
the 24-hour settle message follows, and the next reminder asks how it settled. Later a
re-check answered yes stops the program, and the stop stays stopped.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.screening import (
    Outcome,
    ScreenStatus,
    WayBack,
    after_way_back,
    full_screen,
    is_stopped,
    next_question,
    outcome,
    recheck_questions,
    status_after,
    ways_back,
)
from bot.domain.symptoms import (
    FollowUp,
    FollowUpAction,
    HurtChoice,
    followup_action,
    followup_due,
    hurt_result,
    on_hurt_choice,
    on_pain_before,
    on_pain_in_session,
    pain_went_up,
)
from bot.i18n import Translator
from bot.views import safety as v

EN = Translator("en")
DAY0 = date(2027, 3, 1)


def answer_round(questions, yes: set[str]) -> tuple[list[str], Outcome]:
    answers: dict[str, bool] = {}
    shown = []
    while (q := next_question(answers, questions)) is not None:
        shown.append(v.question_prompt(EN, q, len(answers) + 1, len(questions)))
        answers[q.key] = q.key in yes
    return shown, outcome(answers, questions)


def test_spreading_pain_mid_session_then_the_follow_up() -> None:
    status = ScreenStatus.PENDING
    shown, result = answer_round(full_screen(), set())
    assert len(shown) == 15 and result is Outcome.CLEAR
    status = status_after(result, status)
    last_recheck = DAY0  # the full screen asked the emergency questions
    befores: list[int] = []

    for i in range(2):  # two ordinary sessions at 4
        watch = on_pain_before(4, befores, DAY0 + timedelta(days=i), last_recheck)
        assert not watch.triggers
        befores.append(4)

    # The third day, two days after the screen: the session starts at 4 ...
    today = DAY0 + timedelta(days=2)
    assert not on_pain_before(4, befores, today, last_recheck).recheck
    befores.append(4)
    # ... and at the third exercise it hurts: "stop - it hurts", then "pain spreading".
    choice = HurtChoice.SPREADING
    assert hurt_result(choice).ends_session
    advice = v.hurt_advice(EN, choice)
    assert advice.startswith("Session ended.") and "within a day" in advice
    watch = on_hurt_choice(choice, today, last_recheck)
    assert watch.recheck  # two days since the screen: nerve symptoms are not held back
    intro = v.recheck_intro(EN, watch.triggers)
    assert intro.startswith("Your pain is spreading further down your leg.")
    shown, result = answer_round(recheck_questions(), set())
    assert len(shown) == 6 and result is Outcome.CLEAR
    assert status_after(result, ScreenStatus.RECHECK) is ScreenStatus.CLEAR
    last_recheck = today
    assert "within a day" in v.recheck_clear(EN, watch.triggers)

    # The pain-after rating (4 -> 7) is a rise within the session too, but the re-check
    # was just asked: not again today.
    after = on_pain_in_session(4, [7], today, last_recheck)
    assert after.triggers and not after.recheck
    assert pain_went_up(4, 7)
    settle = v.settle_message(EN, 4, 7)
    assert "24 hours" in settle and "next reminder" in settle

    # Next day's reminder carries the follow-up question; the answer decides what's next.
    tomorrow = today + timedelta(days=1)
    assert not followup_due(today, False, today)
    assert followup_due(today, False, tomorrow)
    assert v.followup_question(EN).endswith("How is it now?")
    assert followup_action(FollowUp.SETTLED) is FollowUpAction.NONE
    assert v.followup_reply(EN, FollowUp.SETTLED) == "Good to hear. Carry on as usual."

    # Two days later pain before is 7: 3 above the usual 4, but the last re-check was
    # only 2 days ago, so no re-check; on day 4 it would come.
    assert not on_pain_before(7, befores, today + timedelta(days=2), last_recheck).recheck
    assert on_pain_before(7, befores, today + timedelta(days=3), last_recheck).recheck


def test_a_stop_stays_stopped() -> None:
    watch = on_hurt_choice(HurtChoice.NUMBNESS_WEAKNESS, DAY0, DAY0)
    assert watch.recheck
    shown, result = answer_round(recheck_questions(), {"both_legs_weakness"})
    assert len(shown) == 6  # the last emergency question was the yes
    status = status_after(result, ScreenStatus.RECHECK)
    assert status is ScreenStatus.EMERGENCY and is_stopped(status)
    stop = v.stop_message(EN, status)
    assert "emergency department" in stop
    # Any later message, old button, /stretch or reminder: the stop's notice, never a question.
    notice = v.stopped_notice(EN, status)
    assert "?" not in notice
    assert [v.way_back_label(EN, w) for w in ways_back(status)] == ["Answer the safety questions again"]
    # An old "a clinician has cleared me" button does not apply to this stop.
    assert after_way_back(status, WayBack.CLINICIAN_CLEARED) is None
    # The explicit way back is a whole new screen.
    assert after_way_back(status, WayBack.REDO_SCREEN) is ScreenStatus.PENDING
    shown, result = answer_round(full_screen(), set())
    assert len(shown) == 15 and status_after(result, ScreenStatus.PENDING) is ScreenStatus.CLEAR


def test_a_doctor_pause_and_its_clearance() -> None:
    shown, result = answer_round(full_screen(), {"one_leg_weakness"})
    assert len(shown) == 15  # the rest is asked, so the doctor sees it all
    status = status_after(result, ScreenStatus.PENDING)
    assert status is ScreenStatus.DOCTOR_TODAY
    assert "today" in v.stop_message(EN, status)
    labels = [v.way_back_label(EN, w) for w in ways_back(status)]
    assert labels == ["A clinician has cleared me", "Answer the safety questions again"]
    assert after_way_back(status, WayBack.CLINICIAN_CLEARED) is ScreenStatus.CLEAR
