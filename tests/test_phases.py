"""The habit -> check-in -> maintenance state machine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.phases import (
    CHECKIN_AGAIN_AFTER_DAYS,
    DEFAULT_WEEKDAYS,
    FLARE_POINTS,
    HABIT_DAYS,
    REASONS,
    Phase,
    PhaseState,
    Transition,
    after_practice,
    answer_checkin,
    flare_up,
    habit_day_number,
    on_day_start,
    pain_rise_is_flare,
    phase_change_message,
    reminder_weekdays,
    weekly_target,
)

TODAY = date(2026, 6, 10)
START = date(2026, 5, 1)
HABIT = PhaseState(Phase.HABIT, START)
CHECKIN = PhaseState(Phase.CHECKIN, START)
DAILY = PhaseState(Phase.DAILY, START, checkin_on=TODAY)
MAINT = PhaseState(Phase.MAINTENANCE, START)


def test_constants() -> None:
    assert HABIT_DAYS == 21
    assert CHECKIN_AGAIN_AFTER_DAYS == 7
    assert FLARE_POINTS == 2
    assert len(DEFAULT_WEEKDAYS) == 4
    assert DEFAULT_WEEKDAYS <= frozenset(range(7))


def test_phase_state_accepts_stored_string() -> None:
    state = PhaseState("maintenance", START)  # type: ignore[arg-type]
    assert state.phase is Phase.MAINTENANCE
    with pytest.raises(ValueError):
        PhaseState("holiday", START)  # type: ignore[arg-type]


# --- reminder rhythm ------------------------------------------------------------


@pytest.mark.parametrize("state", [HABIT, CHECKIN, DAILY])
def test_daily_phases_remind_every_day(state: PhaseState) -> None:
    assert reminder_weekdays(state, frozenset({1, 3, 5})) is None


def test_maintenance_uses_chosen_days() -> None:
    assert reminder_weekdays(MAINT, frozenset({1, 3, 5})) == frozenset({1, 3, 5})
    assert reminder_weekdays(MAINT, frozenset()) == DEFAULT_WEEKDAYS


def test_weekly_target() -> None:
    assert weekly_target(frozenset({0, 3, 5})) == 3
    assert weekly_target(frozenset({0, 2, 4, 6})) == 4
    assert weekly_target(frozenset()) == len(DEFAULT_WEEKDAYS)
    with pytest.raises(ValueError):
        weekly_target(frozenset({7}))


# --- habit phase ----------------------------------------------------------------


def test_twenty_counted_days_is_not_enough() -> None:
    assert after_practice(HABIT, 20, TODAY) is None


@pytest.mark.parametrize("counted", [21, 22])
def test_twenty_first_counted_day_completes_the_habit(counted: int) -> None:
    t = after_practice(HABIT, counted, TODAY)
    assert t == Transition(Phase.HABIT, PhaseState(Phase.CHECKIN, TODAY), "habit_complete")


@pytest.mark.parametrize("state", [CHECKIN, DAILY, MAINT])
def test_practice_outside_habit_phase_changes_nothing(state: PhaseState) -> None:
    assert after_practice(state, 40, TODAY) is None


@pytest.mark.parametrize(
    ("counted", "done_today", "expected"),
    [
        (0, False, 1),
        (1, True, 1),
        (1, False, 2),
        (5, True, 5),
        (20, False, 21),
        (21, True, 21),
        (30, False, 21),
    ],
)
def test_habit_day_number(counted: int, done_today: bool, expected: int) -> None:
    assert habit_day_number(counted, done_today) == expected


def test_habit_day_number_rejects_negative() -> None:
    with pytest.raises(ValueError):
        habit_day_number(-1, False)


# --- check-in --------------------------------------------------------------------


def test_less_sore_moves_to_maintenance() -> None:
    t = answer_checkin(CHECKIN, less_sore=True, today=TODAY)
    assert t.old is Phase.CHECKIN
    assert t.new == PhaseState(Phase.MAINTENANCE, TODAY)
    assert t.reason == "checkin_less_sore"


def test_still_sore_stays_daily_and_asks_again_a_week_later() -> None:
    t = answer_checkin(CHECKIN, less_sore=False, today=TODAY)
    assert t.reason == "checkin_still_sore"
    assert t.new == PhaseState(Phase.DAILY, TODAY, TODAY + timedelta(days=7))

    daily = t.new
    for offset in range(1, 7):
        assert on_day_start(daily, TODAY + timedelta(days=offset)) is None
    week_later = TODAY + timedelta(days=7)
    due = on_day_start(daily, week_later)
    assert due is not None
    assert due.reason == "checkin_due"
    assert due.old is Phase.DAILY
    assert due.new == PhaseState(Phase.CHECKIN, week_later)

    # ... and this time the back feels better.
    done = answer_checkin(due.new, less_sore=True, today=week_later)
    assert done.new.phase is Phase.MAINTENANCE


def test_overdue_checkin_still_triggers() -> None:
    overdue = PhaseState(Phase.DAILY, START, checkin_on=TODAY - timedelta(days=3))
    t = on_day_start(overdue, TODAY)
    assert t is not None and t.new.phase is Phase.CHECKIN


@pytest.mark.parametrize("state", [HABIT, CHECKIN, MAINT, PhaseState(Phase.DAILY, START, checkin_on=None)])
def test_day_start_changes_nothing_otherwise(state: PhaseState) -> None:
    assert on_day_start(state, TODAY) is None


def test_daily_user_may_answer_early() -> None:
    early = PhaseState(Phase.DAILY, START, checkin_on=TODAY + timedelta(days=3))
    assert answer_checkin(early, True, TODAY).new.phase is Phase.MAINTENANCE


@pytest.mark.parametrize("state", [HABIT, MAINT])
def test_no_checkin_open(state: PhaseState) -> None:
    with pytest.raises(ValueError):
        answer_checkin(state, True, TODAY)


# --- flare-ups --------------------------------------------------------------------


def test_flare_up_from_maintenance_returns_to_daily() -> None:
    t = flare_up(MAINT, TODAY)
    assert t is not None
    assert t.old is Phase.MAINTENANCE
    assert t.new == PhaseState(Phase.DAILY, TODAY, TODAY + timedelta(days=7))
    assert t.reason == "flare_up"
    assert on_day_start(t.new, TODAY + timedelta(days=7)) is not None


def test_flare_up_while_waiting_for_checkin() -> None:
    t = flare_up(CHECKIN, TODAY)
    assert t is not None and t.new.phase is Phase.DAILY


@pytest.mark.parametrize("state", [HABIT, DAILY])
def test_flare_up_while_already_daily_is_none(state: PhaseState) -> None:
    assert flare_up(state, TODAY) is None


@pytest.mark.parametrize(
    ("first", "latest", "flare"),
    [(None, 9, False), (3, 4, False), (3, 5, True), (3, 10, True), (6, 2, False), (0, 2, True)],
)
def test_pain_rise_is_flare(first: int | None, latest: int, flare: bool) -> None:
    assert pain_rise_is_flare(first, latest) is flare


# --- messages ------------------------------------------------------------------------


def _all_transitions() -> list[Transition]:
    return [
        Transition(Phase.HABIT, PhaseState(Phase.CHECKIN, TODAY), "habit_complete"),
        answer_checkin(CHECKIN, True, TODAY),
        answer_checkin(CHECKIN, False, TODAY),
        Transition(Phase.DAILY, PhaseState(Phase.CHECKIN, TODAY), "checkin_due"),
        Transition(Phase.MAINTENANCE, PhaseState(Phase.DAILY, TODAY, TODAY), "flare_up"),
    ]


def test_every_reason_has_a_message() -> None:
    assert {t.reason for t in _all_transitions()} == set(REASONS)


@pytest.mark.parametrize("t", _all_transitions(), ids=lambda t: t.reason)
def test_messages_are_short_friendly_and_never_scold(t: Transition) -> None:
    msg = phase_change_message(t)
    assert msg.strip()
    assert len(msg) < 200
    lowered = msg.lower()
    for word in ("fail", "missed", "should have", "lazy", "must"):
        assert word not in lowered


def test_unknown_reason() -> None:
    with pytest.raises(ValueError):
        phase_change_message(Transition(Phase.HABIT, HABIT, "bogus"))
