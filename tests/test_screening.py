"""The red-flag screen as data: tiers, order, rounds, stops that stay stopped, and the migration."""

from __future__ import annotations

import pytest

from bot.domain.screening import (
    OLD_KEY_MAP,
    QUESTIONS,
    Carry,
    Outcome,
    ScreenStatus,
    Tier,
    WayBack,
    after_way_back,
    answers_in_order,
    emergency_questions,
    full_screen,
    is_stopped,
    migrate,
    next_question,
    outcome,
    question,
    recheck_questions,
    status_after,
    unanswered,
    ways_back,
)

EMERGENCY_KEYS = (
    "saddle_numbness",
    "bladder",
    "bowel",
    "sexual_function",
    "both_legs_new",
    "both_legs_weakness",
)
DOCTOR_TODAY_KEYS = ("one_leg_weakness",)
DOCTOR_FIRST_KEYS = (
    "fever",
    "cancer",
    "weight_loss",
    "injury",
    "immune",
    "osteoporosis",
    "age_onset",
    "constant_pain",
)
OLD_KEYS = (
    "saddle_numbness",
    "bladder_bowel",
    "both_legs",
    "leg_weakness",
    "fever",
    "cancer",
    "weight_loss",
    "injury",
    "night_pain",
)


def all_no(questions=QUESTIONS) -> dict[str, bool]:
    return {q.key: False for q in questions}


def run(yes_keys: set[str], questions=QUESTIONS) -> tuple[list[str], Outcome]:
    """Answer a round as a user would: the questions in the order asked, then the outcome."""
    answers: dict[str, bool] = {}
    asked: list[str] = []
    while (q := next_question(answers, questions)) is not None:
        asked.append(q.key)
        answers[q.key] = q.key in yes_keys
        assert len(asked) <= len(questions)
    return asked, outcome(answers, questions)


# --- the questions as data -------------------------------------------------------------


def test_every_sign_of_the_spec_is_one_question_in_a_fixed_order() -> None:
    assert tuple(q.key for q in QUESTIONS) == EMERGENCY_KEYS + DOCTOR_TODAY_KEYS + DOCTOR_FIRST_KEYS
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize(
    ("keys", "tier"),
    [
        (EMERGENCY_KEYS, Tier.EMERGENCY),
        (DOCTOR_TODAY_KEYS, Tier.DOCTOR_TODAY),
        (DOCTOR_FIRST_KEYS, Tier.DOCTOR_FIRST),
    ],
)
def test_each_question_has_its_tier(keys: tuple[str, ...], tier: Tier) -> None:
    for key in keys:
        assert question(key).tier is tier


def test_emergency_first_then_by_urgency() -> None:
    order = [Tier.EMERGENCY, Tier.DOCTOR_TODAY, Tier.DOCTOR_FIRST]
    ranks = [order.index(q.tier) for q in QUESTIONS]
    assert ranks == sorted(ranks)


def test_keys_fit_the_database_and_a_callback() -> None:
    for q in QUESTIONS:
        assert q.key.isidentifier() and len(q.key) <= 32
    for status in ScreenStatus:
        assert len(status.value) <= 16


def test_unknown_key() -> None:
    with pytest.raises(KeyError):
        question("night_pain")


def test_rounds() -> None:
    assert full_screen() == QUESTIONS
    assert recheck_questions() == emergency_questions()
    assert tuple(q.key for q in recheck_questions()) == EMERGENCY_KEYS


# --- a round, question by question -------------------------------------------------------


def test_all_no_asks_everything_once_in_order_and_clears() -> None:
    asked, result = run(set())
    assert asked == [q.key for q in QUESTIONS]
    assert result is Outcome.CLEAR


@pytest.mark.parametrize("key", EMERGENCY_KEYS)
def test_first_emergency_yes_stops_the_screen_there(key: str) -> None:
    asked, result = run({key})
    assert asked[-1] == key
    assert asked == list(EMERGENCY_KEYS[: EMERGENCY_KEYS.index(key) + 1])
    assert result is Outcome.EMERGENCY


@pytest.mark.parametrize("key", EMERGENCY_KEYS)
def test_emergency_yes_in_a_recheck(key: str) -> None:
    asked, result = run({key}, recheck_questions())
    assert asked[-1] == key and result is Outcome.EMERGENCY


def test_recheck_all_no_is_clear_and_asks_only_the_emergency_tier() -> None:
    asked, result = run(set(), recheck_questions())
    assert asked == list(EMERGENCY_KEYS)
    assert result is Outcome.CLEAR


def test_a_recheck_ignores_doctor_answers_from_elsewhere() -> None:
    answers = {**all_no(recheck_questions()), "fever": True}
    assert outcome(answers, recheck_questions()) is Outcome.CLEAR


@pytest.mark.parametrize("key", DOCTOR_TODAY_KEYS)
def test_doctor_today_yes_keeps_asking_then_pauses(key: str) -> None:
    asked, result = run({key})
    assert asked == [q.key for q in QUESTIONS]  # the rest is still asked, for the clinician
    assert result is Outcome.DOCTOR_TODAY


@pytest.mark.parametrize("key", DOCTOR_FIRST_KEYS)
def test_doctor_first_yes_keeps_asking_then_pauses(key: str) -> None:
    asked, result = run({key})
    assert asked == [q.key for q in QUESTIONS]
    assert result is Outcome.DOCTOR_FIRST


def test_the_most_urgent_doctor_tier_wins() -> None:
    assert run({"fever", "one_leg_weakness", "cancer"})[1] is Outcome.DOCTOR_TODAY
    assert run({"fever", "cancer"})[1] is Outcome.DOCTOR_FIRST


def test_in_progress_until_the_last_answer() -> None:
    answers = all_no()
    del answers["constant_pain"]
    assert outcome(answers) is Outcome.IN_PROGRESS
    assert next_question(answers) == question("constant_pain")
    answers["fever"] = True
    assert outcome(answers) is Outcome.IN_PROGRESS  # a doctor yes does not end the round


def test_emergency_yes_wins_even_with_gaps() -> None:
    assert outcome({"bowel": True}) is Outcome.EMERGENCY
    assert next_question({"bowel": True}) is None


def test_answers_in_order_for_the_report() -> None:
    pairs = answers_in_order({"fever": True, "saddle_numbness": False, "night_pain": True})
    assert [(q.key, yes) for q, yes in pairs] == [("saddle_numbness", False), ("fever", True)]


# --- stopped stays stopped ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (Outcome.EMERGENCY, ScreenStatus.EMERGENCY),
        (Outcome.DOCTOR_TODAY, ScreenStatus.DOCTOR_TODAY),
        (Outcome.DOCTOR_FIRST, ScreenStatus.DOCTOR_FIRST),
        (Outcome.CLEAR, ScreenStatus.CLEAR),
    ],
)
def test_status_after_a_round(result: Outcome, status: ScreenStatus) -> None:
    assert status_after(result, ScreenStatus.PENDING) is status
    assert status_after(result, ScreenStatus.RECHECK) is status


def test_in_progress_keeps_the_status() -> None:
    assert status_after(Outcome.IN_PROGRESS, "recheck") is ScreenStatus.RECHECK
    assert status_after(Outcome.IN_PROGRESS, ScreenStatus.PENDING) is ScreenStatus.PENDING


@pytest.mark.parametrize("status", list(ScreenStatus))
def test_which_statuses_are_stopped(status: ScreenStatus) -> None:
    stopped = status in (ScreenStatus.EMERGENCY, ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST)
    assert is_stopped(status) is stopped
    assert bool(ways_back(status)) is stopped


def test_ways_back() -> None:
    assert ways_back(ScreenStatus.EMERGENCY) == (WayBack.REDO_SCREEN,)
    for status in (ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST):
        assert ways_back(status) == (WayBack.CLINICIAN_CLEARED, WayBack.REDO_SCREEN)


def test_only_an_open_way_back_leaves_a_stop() -> None:
    assert after_way_back(ScreenStatus.EMERGENCY, WayBack.CLINICIAN_CLEARED) is None
    assert after_way_back(ScreenStatus.EMERGENCY, WayBack.REDO_SCREEN) is ScreenStatus.PENDING
    assert after_way_back(ScreenStatus.DOCTOR_FIRST, WayBack.CLINICIAN_CLEARED) is ScreenStatus.CLEAR
    assert after_way_back(ScreenStatus.DOCTOR_TODAY, WayBack.CLINICIAN_CLEARED) is ScreenStatus.CLEAR
    assert after_way_back(ScreenStatus.DOCTOR_TODAY, WayBack.REDO_SCREEN) is ScreenStatus.PENDING
    for status in (ScreenStatus.CLEAR, ScreenStatus.PENDING, ScreenStatus.RECHECK):
        for way in WayBack:
            assert after_way_back(status, way) is None  # an old button does nothing


def test_clearance_with_questions_never_asked_goes_to_them() -> None:
    never = unanswered({"saddle_numbness": False, "fever": True})
    assert after_way_back("doctor_first", WayBack.CLINICIAN_CLEARED, never) is ScreenStatus.PENDING


# --- the first version's users ----------------------------------------------------------------


def test_every_old_key_is_mapped_onto_current_keys() -> None:
    assert set(OLD_KEY_MAP) == set(OLD_KEYS)
    current = {q.key for q in QUESTIONS}
    for mapping in OLD_KEY_MAP.values():
        assert set(mapping.new) <= current
    assert OLD_KEY_MAP["night_pain"].new == ()
    assert OLD_KEY_MAP["leg_weakness"].new == ("both_legs_weakness", "one_leg_weakness")
    assert OLD_KEY_MAP["both_legs"].carry is Carry.NO_ONLY


def old_all_no() -> dict[str, bool]:
    return {k: False for k in OLD_KEYS}


def test_a_clear_user_is_asked_only_what_is_new() -> None:
    m = migrate("clear", old_all_no())
    assert m.status is ScreenStatus.PENDING
    assert m.to_ask == ("bowel", "sexual_function", "immune", "osteoporosis", "age_onset", "constant_pain")
    assert m.known == {
        "saddle_numbness": False,
        "bladder": False,
        "both_legs_new": False,
        "both_legs_weakness": False,
        "one_leg_weakness": False,
        "fever": False,
        "cancer": False,
        "weight_loss": False,
        "injury": False,
    }
    # The update round is an ordinary round over those questions.
    to_ask = tuple(question(k) for k in m.to_ask)
    asked, result = run(set(), to_ask)
    assert tuple(asked) == m.to_ask and result is Outcome.CLEAR
    assert run({"sexual_function"}, to_ask)[1] is Outcome.EMERGENCY


def test_a_clinician_cleared_user_is_not_paused_again_by_old_answers() -> None:
    m = migrate("clear", {**old_all_no(), "fever": True})
    assert m.status is ScreenStatus.PENDING
    assert m.known["fever"] is True and "fever" not in m.to_ask
    assert run(set(), tuple(question(k) for k in m.to_ask))[1] is Outcome.CLEAR


def test_a_broad_old_yes_carries_nothing() -> None:
    m = migrate("see_doctor", {"saddle_numbness": False, "bladder_bowel": False, "night_pain": True})
    assert "constant_pain" not in m.known and "constant_pain" in m.to_ask
    m = migrate("emergency", {"saddle_numbness": False, "bladder_bowel": False, "both_legs": True})
    assert "both_legs_new" not in m.known


@pytest.mark.parametrize(
    "answers",
    [
        {"saddle_numbness": True},
        {"saddle_numbness": False, "bladder_bowel": False, "both_legs": True},  # long-standing, no "new"
        {k: k == "leg_weakness" for k in OLD_KEYS[:4]},
    ],
)
def test_emergency_stays_stopped(answers: dict[str, bool]) -> None:
    m = migrate("emergency", answers)
    assert m.status is ScreenStatus.EMERGENCY
    assert m.to_ask == tuple(q.key for q in QUESTIONS)  # its way back is the whole screen


@pytest.mark.parametrize("night_pain_only", [True, False])
def test_doctor_pause_stays_paused_even_for_a_question_now_dropped(night_pain_only: bool) -> None:
    answers = {**{k: False for k in OLD_KEYS[:8]}, "night_pain": True}
    if not night_pain_only:
        answers = {**{k: False for k in OLD_KEYS[:4]}, "fever": True}
    m = migrate("see_doctor", answers)
    assert m.status is ScreenStatus.DOCTOR_FIRST
    assert is_stopped(m.status)
    assert "constant_pain" in m.to_ask


def test_a_screen_in_progress_continues_with_what_is_left() -> None:
    m = migrate("pending", {"saddle_numbness": False, "bladder_bowel": False})
    assert m.status is ScreenStatus.PENDING
    assert m.to_ask[0] == "bowel"
    assert "saddle_numbness" not in m.to_ask and "bladder" not in m.to_ask
    assert migrate("pending", {}).to_ask == tuple(q.key for q in QUESTIONS)


def test_a_recheck_in_progress_asks_the_emergency_tier_afresh() -> None:
    m = migrate("rescreen", old_all_no())
    assert m.status is ScreenStatus.PENDING
    assert m.to_ask[: len(EMERGENCY_KEYS)] == EMERGENCY_KEYS
    assert m.to_ask[len(EMERGENCY_KEYS) :] == ("immune", "osteoporosis", "age_onset", "constant_pain")


def test_inconsistent_clear_user_gets_the_full_screen() -> None:
    m = migrate("clear", {"saddle_numbness": True})
    assert m.status is ScreenStatus.PENDING
    assert m.to_ask == tuple(q.key for q in QUESTIONS)


@pytest.mark.parametrize("status", ["pending", "rescreen", "clear", "emergency", "see_doctor"])
def test_no_migration_ever_lifts_a_stop_or_clears_a_gap(status: str) -> None:
    for answers in ({}, old_all_no(), {**old_all_no(), "cancer": True}):
        m = migrate(status, answers)
        if status in ("emergency", "see_doctor"):
            assert is_stopped(m.status)
        else:
            assert m.status is ScreenStatus.PENDING  # every old user has new questions to answer


def test_migration_rejects_unknown_input() -> None:
    with pytest.raises(ValueError):
        migrate("paused", {})
    with pytest.raises(ValueError):
        migrate("clear", {"headache": True})
