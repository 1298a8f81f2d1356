"""The habit schedule: one transition function, weekly counts from the start of maintenance,
and the choice of what to say by phase, kind of day and moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.phases import (
    CHECKIN_AGAIN_AFTER_DAYS,
    CHECKIN_WAIT_DAYS,
    DAILY_PHASES,
    DEFAULT_WEEKDAYS,
    HABIT_DAYS,
    DayKind,
    Event,
    Line,
    Phase,
    PhaseState,
    Reason,
    Say,
    Transition,
    WeekProgress,
    announcement,
    apply,
    checkin_answer_lines,
    checkin_open,
    day_kind,
    habit_day_number,
    next_practice_day,
    not_applied_line,
    offers_flare,
    phase_from_legacy,
    progress_header,
    reminder_weekdays,
    say,
    six_week_line,
    week_progress,
    weekly_target,
    weeks_on_target,
)

TODAY = date(2026, 6, 10)  # a Wednesday
START = date(2026, 5, 1)
WEEK = timedelta(days=7)
HABIT = PhaseState(Phase.HABIT, START)
CHECKIN = PhaseState(Phase.CHECKIN, TODAY - timedelta(days=2))
DAILY = PhaseState(Phase.DAILY, START, checkin_on=TODAY + timedelta(days=3))
FLARE = PhaseState(Phase.FLARE, TODAY - timedelta(days=2), checkin_on=TODAY + timedelta(days=5))
MAINT = PhaseState(Phase.MAINTENANCE, START)
ALL = [HABIT, CHECKIN, DAILY, FLARE, MAINT]
MON_WED_FRI_SUN = frozenset({0, 2, 4, 6})


def test_constants() -> None:
    assert HABIT_DAYS == 21
    assert CHECKIN_AGAIN_AFTER_DAYS == 7
    assert CHECKIN_WAIT_DAYS == 7
    assert DEFAULT_WEEKDAYS == MON_WED_FRI_SUN
    assert DAILY_PHASES == set(Phase) - {Phase.MAINTENANCE}
    for value in [*Phase, *Reason]:
        assert len(value.value) <= 24


def test_phase_state_accepts_stored_string() -> None:
    state = PhaseState("maintenance", START)  # type: ignore[arg-type]
    assert state.phase is Phase.MAINTENANCE
    with pytest.raises(ValueError):
        PhaseState("holiday", START)  # type: ignore[arg-type]


def test_legacy_daily_rows() -> None:
    assert phase_from_legacy("daily", "flare_up") is Phase.FLARE
    assert phase_from_legacy("daily", "checkin_still_sore") is Phase.DAILY
    assert phase_from_legacy("daily", None) is Phase.DAILY
    assert phase_from_legacy("maintenance", "checkin_less_sore") is Phase.MAINTENANCE


# --- reminder rhythm ------------------------------------------------------------


@pytest.mark.parametrize("state", [HABIT, CHECKIN, DAILY, FLARE])
def test_daily_phases_remind_every_day(state: PhaseState) -> None:
    assert reminder_weekdays(state, frozenset({1, 3, 5})) is None


def test_maintenance_uses_chosen_days() -> None:
    assert reminder_weekdays(MAINT, frozenset({1, 3, 5})) == frozenset({1, 3, 5})
    assert reminder_weekdays(MAINT, frozenset()) == DEFAULT_WEEKDAYS


def test_weekly_target() -> None:
    assert weekly_target(frozenset({0, 3, 5})) == 3
    assert weekly_target(frozenset()) == len(DEFAULT_WEEKDAYS)
    with pytest.raises(ValueError):
        weekly_target(frozenset({7}))


# --- the habit phase ----------------------------------------------------------------


def test_twenty_counted_days_is_not_enough() -> None:
    assert apply(HABIT, Event.PRACTICE_COUNTED, TODAY, counted_days=20) is None


@pytest.mark.parametrize("counted", [21, 22])
def test_twenty_first_counted_day_completes_the_habit(counted: int) -> None:
    t = apply(HABIT, Event.PRACTICE_COUNTED, TODAY, counted_days=counted)
    assert t == Transition(Phase.HABIT, PhaseState(Phase.CHECKIN, TODAY), Reason.HABIT_COMPLETE)


def test_counted_days_are_needed_in_the_habit_phase() -> None:
    with pytest.raises(ValueError):
        apply(HABIT, Event.PRACTICE_COUNTED, TODAY)


@pytest.mark.parametrize("state", [CHECKIN, DAILY, FLARE, MAINT])
def test_practice_outside_the_habit_phase_changes_nothing(state: PhaseState) -> None:
    assert apply(state, Event.PRACTICE_COUNTED, TODAY, counted_days=40) is None
    assert apply(state, Event.PRACTICE_COUNTED, TODAY) is None


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


# --- the check-in --------------------------------------------------------------------


def test_less_sore_moves_to_maintenance() -> None:
    t = apply(CHECKIN, Event.LESS_SORE, TODAY)
    assert t == Transition(Phase.CHECKIN, PhaseState(Phase.MAINTENANCE, TODAY), Reason.CHECKIN_LESS_SORE)


def test_still_sore_stays_daily_and_asks_again_a_week_later() -> None:
    t = apply(CHECKIN, Event.STILL_SORE, TODAY)
    assert t is not None and t.reason is Reason.CHECKIN_STILL_SORE
    assert t.new == PhaseState(Phase.DAILY, TODAY, TODAY + WEEK)
    for offset in range(1, 7):
        assert apply(t.new, Event.DAY_START, TODAY + timedelta(days=offset)) is None
    due = apply(t.new, Event.DAY_START, TODAY + WEEK)
    assert due == Transition(Phase.DAILY, PhaseState(Phase.CHECKIN, TODAY + WEEK), Reason.CHECKIN_DUE)
    done = apply(due.new, Event.LESS_SORE, TODAY + WEEK)
    assert done is not None and done.new.phase is Phase.MAINTENANCE


def test_an_unanswered_checkin_waits_a_week_then_the_kinder_default() -> None:
    opened = PhaseState(Phase.CHECKIN, TODAY)
    for offset in range(CHECKIN_WAIT_DAYS):
        assert apply(opened, Event.DAY_START, TODAY + timedelta(days=offset)) is None
    t = apply(opened, Event.DAY_START, TODAY + WEEK)
    assert t is not None and t.reason is Reason.CHECKIN_UNANSWERED
    assert t.new == PhaseState(Phase.DAILY, TODAY + WEEK, TODAY + 2 * WEEK)
    # ... and a week later it is asked again.
    again = apply(t.new, Event.DAY_START, TODAY + 2 * WEEK)
    assert again is not None and again.reason is Reason.CHECKIN_DUE


def test_an_old_checkin_button_after_the_default_still_counts() -> None:
    t = apply(PhaseState(Phase.CHECKIN, TODAY - WEEK), Event.DAY_START, TODAY)
    assert t is not None
    answered = apply(t.new, Event.LESS_SORE, TODAY + timedelta(days=1))
    assert answered is not None and answered.new.phase is Phase.MAINTENANCE


def test_overdue_checkin_still_opens() -> None:
    overdue = PhaseState(Phase.DAILY, START, checkin_on=TODAY - timedelta(days=3))
    t = apply(overdue, Event.DAY_START, TODAY)
    assert t is not None and t.new == PhaseState(Phase.CHECKIN, TODAY)


@pytest.mark.parametrize("state", [HABIT, CHECKIN, MAINT, DAILY, FLARE, PhaseState(Phase.DAILY, START)])
def test_day_start_changes_nothing_otherwise(state: PhaseState) -> None:
    assert apply(state, Event.DAY_START, TODAY) is None


def test_checkin_is_open_in_checkin_and_daily_only() -> None:
    assert [checkin_open(s) for s in ALL] == [False, True, True, False, False]
    for state in (HABIT, FLARE, MAINT):
        assert apply(state, Event.LESS_SORE, TODAY) is None
        assert apply(state, Event.STILL_SORE, TODAY) is None
        assert not_applied_line(state, Event.LESS_SORE) is Line.CHECKIN_NOT_OPEN


def test_a_repeated_answer_the_same_day_is_no_change() -> None:
    t = apply(CHECKIN, Event.STILL_SORE, TODAY)
    assert t is not None
    assert apply(t.new, Event.STILL_SORE, TODAY) is None


# --- flare-ups ------------------------------------------------------------------------


@pytest.mark.parametrize("state", [CHECKIN, DAILY, FLARE, MAINT])
def test_a_reported_flare_is_taken_at_once(state: PhaseState) -> None:
    t = apply(state, Event.FLARE_REPORTED, TODAY)
    assert t == Transition(state.phase, PhaseState(Phase.FLARE, TODAY, TODAY + WEEK), Reason.FLARE_REPORTED)


def test_a_reported_flare_in_the_habit_phase_keeps_the_habit() -> None:
    assert apply(HABIT, Event.FLARE_REPORTED, TODAY) is None
    assert not_applied_line(HABIT, Event.FLARE_REPORTED) is Line.FLARE_IN_HABIT


def test_a_second_report_the_same_day_changes_nothing() -> None:
    t = apply(MAINT, Event.FLARE_REPORTED, TODAY)
    assert t is not None
    assert apply(t.new, Event.FLARE_REPORTED, TODAY) is None
    assert not_applied_line(t.new, Event.FLARE_REPORTED) is Line.FLARE_ALREADY
    later = apply(t.new, Event.FLARE_REPORTED, TODAY + timedelta(days=3))
    assert later is not None and later.new.checkin_on == TODAY + timedelta(days=10)


def test_a_pain_rise_only_offers_and_only_outside_daily_practice() -> None:
    assert [offers_flare(s, pain_rising=True) for s in ALL] == [False, True, False, False, True]
    assert not any(offers_flare(s, pain_rising=False) for s in ALL)


@pytest.mark.parametrize("state", [CHECKIN, MAINT])
def test_an_accepted_offer_has_its_own_reason(state: PhaseState) -> None:
    t = apply(state, Event.FLARE_ACCEPTED, TODAY)
    assert t is not None and t.reason is Reason.FLARE_ACCEPTED
    assert t.new == PhaseState(Phase.FLARE, TODAY, TODAY + WEEK)


@pytest.mark.parametrize("state", [HABIT, DAILY, FLARE])
def test_an_accepted_offer_while_daily_changes_nothing(state: PhaseState) -> None:
    assert apply(state, Event.FLARE_ACCEPTED, TODAY) is None
    assert not_applied_line(state, Event.FLARE_ACCEPTED) is Line.FLARE_ALREADY


def test_after_a_flare_the_checkin_comes_back() -> None:
    t = apply(MAINT, Event.FLARE_REPORTED, TODAY)
    assert t is not None
    due = apply(t.new, Event.DAY_START, TODAY + WEEK)
    assert due == Transition(Phase.FLARE, PhaseState(Phase.CHECKIN, TODAY + WEEK), Reason.CHECKIN_DUE)


def test_not_applied_line_for_automatic_events() -> None:
    assert not_applied_line(HABIT, Event.DAY_START) is None
    assert not_applied_line(HABIT, Event.PRACTICE_COUNTED) is None


# --- weekly counts in maintenance ------------------------------------------------------

FRI = date(2027, 3, 26)  # a Friday


def days(*items: date) -> set[date]:
    return set(items)


def test_a_mid_week_start_counts_from_its_first_day_against_a_prorated_target() -> None:
    state = PhaseState(Phase.MAINTENANCE, FRI)
    earlier = {FRI - timedelta(days=i) for i in range(1, 5)}  # daily-phase sessions Mon..Thu
    w = week_progress(state, MON_WED_FRI_SUN, earlier | {FRI}, FRI)
    assert w == WeekProgress(counts_from=FRI, done=1, target=2, first_week=True)  # Fri and Sun left
    sun = FRI + timedelta(days=2)
    w = week_progress(state, MON_WED_FRI_SUN, earlier | {FRI, sun}, sun)
    assert (w.done, w.target, w.met) == (2, 2, True)
    mon = FRI + timedelta(days=3)
    w = week_progress(state, MON_WED_FRI_SUN, earlier | {FRI, sun}, mon)
    assert w == WeekProgress(counts_from=mon, done=0, target=4, first_week=False)


def test_a_first_week_with_no_chosen_day_left() -> None:
    sat = FRI + timedelta(days=1)
    state = PhaseState(Phase.MAINTENANCE, sat)
    w = week_progress(state, frozenset({0, 2, 4}), {sat}, sat)
    assert (w.target, w.first_week, w.met) == (0, True, False)
    assert weeks_on_target(state, frozenset({0, 2, 4}), {sat}, sat + timedelta(days=1)) == 0


def test_a_monday_start_is_a_full_week() -> None:
    mon = FRI + timedelta(days=3)
    w = week_progress(PhaseState(Phase.MAINTENANCE, mon), MON_WED_FRI_SUN, set(), mon)
    assert (w.first_week, w.target) == (False, 4)


def test_weeks_on_target_counts_only_maintenance_weeks() -> None:
    state = PhaseState(Phase.MAINTENANCE, FRI)
    daily_phase = {FRI - timedelta(days=i) for i in range(1, 30)}
    first_week = {FRI, FRI + timedelta(days=2)}
    mon = FRI + timedelta(days=3)
    second_week = {mon, mon + timedelta(days=2), mon + timedelta(days=4), mon + timedelta(days=6)}
    practice = daily_phase | first_week | second_week
    assert weeks_on_target(state, MON_WED_FRI_SUN, practice, FRI + timedelta(days=2)) == 1
    assert weeks_on_target(state, MON_WED_FRI_SUN, practice, mon) == 1  # this week in progress
    assert weeks_on_target(state, MON_WED_FRI_SUN, practice, mon + timedelta(days=6)) == 2
    third_mon = mon + WEEK
    assert weeks_on_target(state, MON_WED_FRI_SUN, practice, third_mon + timedelta(days=3)) == 2
    # A missed week breaks the run; the flare-up week before maintenance never counted.
    assert weeks_on_target(state, MON_WED_FRI_SUN, practice, third_mon + WEEK) == 0


def test_weekly_counts_exist_only_in_maintenance() -> None:
    with pytest.raises(ValueError):
        week_progress(HABIT, MON_WED_FRI_SUN, set(), TODAY)
    with pytest.raises(ValueError):
        weeks_on_target(FLARE, MON_WED_FRI_SUN, set(), TODAY)


def test_next_practice_day() -> None:
    assert next_practice_day(HABIT, MON_WED_FRI_SUN, TODAY) == TODAY + timedelta(days=1)
    assert next_practice_day(MAINT, MON_WED_FRI_SUN, TODAY) == TODAY + timedelta(days=2)  # Wed -> Fri
    assert next_practice_day(MAINT, frozenset({2}), TODAY) == TODAY + WEEK
    assert next_practice_day(MAINT, frozenset(), TODAY - timedelta(days=1)) == TODAY


# --- kinds of day --------------------------------------------------------------------


def test_day_kind() -> None:
    thu = TODAY + timedelta(days=1)
    assert day_kind(MAINT, MON_WED_FRI_SUN, thu, False, False) is DayKind.REST_DAY
    assert day_kind(MAINT, MON_WED_FRI_SUN, TODAY, False, False) is DayKind.PRACTICE_DAY
    assert day_kind(DAILY, MON_WED_FRI_SUN, thu, False, False) is DayKind.PRACTICE_DAY
    assert day_kind(MAINT, MON_WED_FRI_SUN, thu, False, True) is DayKind.SKIPPED
    assert day_kind(MAINT, MON_WED_FRI_SUN, TODAY, True, True) is DayKind.DONE_TODAY


# --- what to say ---------------------------------------------------------------------

P, R, S, D = DayKind.PRACTICE_DAY, DayKind.REST_DAY, DayKind.SKIPPED, DayKind.DONE_TODAY


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (Phase.HABIT, (Line.REMINDER_HABIT,)),
        (Phase.CHECKIN, (Line.REMINDER_DAILY, Line.CHECKIN_QUESTION)),
        (Phase.DAILY, (Line.REMINDER_STILL_SORE,)),
        (Phase.FLARE, (Line.REMINDER_FLARE,)),
        (Phase.MAINTENANCE, (Line.REMINDER_MAINTENANCE,)),
    ],
)
def test_reminder_lines_by_phase(phase: Phase, expected: tuple[Line, ...]) -> None:
    assert say(phase, P, Say.REMINDER) == expected
    assert say(phase, P, Say.REMINDER, snoozed=True) == (Line.REMINDER_SNOOZED, *expected)
    for day in (S, D):
        assert say(phase, day, Say.REMINDER) == ()


def test_no_reminder_on_a_maintenance_rest_day() -> None:
    assert say(Phase.MAINTENANCE, R, Say.REMINDER) == ()
    assert say(Phase.HABIT, R, Say.REMINDER) == (Line.REMINDER_HABIT,)  # no rest days in daily phases


def test_a_transition_at_day_start_is_announced_with_the_reminder() -> None:
    due = Transition(Phase.DAILY, PhaseState(Phase.CHECKIN, TODAY), Reason.CHECKIN_DUE)
    assert say(Phase.CHECKIN, P, Say.REMINDER, transition=due) == (
        Line.ANNOUNCE_CHECKIN_DUE,
        Line.REMINDER_DAILY,
        Line.CHECKIN_QUESTION,
    )
    # Already done today: no reminder, but the news still goes out.
    assert say(Phase.CHECKIN, D, Say.REMINDER, transition=due) == (
        Line.ANNOUNCE_CHECKIN_DUE,
        Line.CHECKIN_QUESTION,
    )
    default = Transition(
        Phase.CHECKIN, PhaseState(Phase.DAILY, TODAY, TODAY + WEEK), Reason.CHECKIN_UNANSWERED
    )
    assert say(Phase.DAILY, P, Say.REMINDER, transition=default) == (
        Line.ANNOUNCE_CHECKIN_UNANSWERED,
        Line.REMINDER_STILL_SORE,
    )


@pytest.mark.parametrize(
    ("phase", "day", "expected"),
    [
        (Phase.HABIT, P, (Line.SESSION_END_HABIT,)),
        (Phase.HABIT, S, (Line.SESSION_END_HABIT,)),  # skipped, then did it anyway
        (Phase.CHECKIN, P, (Line.SESSION_END_CHECKIN, Line.CHECKIN_QUESTION)),
        (Phase.DAILY, P, (Line.SESSION_END_STILL_SORE,)),
        (Phase.FLARE, P, (Line.SESSION_END_FLARE,)),
        (Phase.MAINTENANCE, P, (Line.SESSION_END_MAINTENANCE,)),
        (Phase.MAINTENANCE, R, (Line.SESSION_END_MAINTENANCE_EXTRA,)),
        (Phase.MAINTENANCE, D, (Line.SESSION_END_ALREADY_COUNTED,)),
        (Phase.HABIT, D, (Line.SESSION_END_ALREADY_COUNTED,)),
    ],
)
def test_session_end_counted(phase: Phase, day: DayKind, expected: tuple[Line, ...]) -> None:
    assert say(phase, day, Say.SESSION_END_COUNTED) == expected


@pytest.mark.parametrize("phase", list(Phase))
def test_session_end_not_counted(phase: Phase) -> None:
    tail = (Line.CHECKIN_QUESTION,) if phase is Phase.CHECKIN else ()
    assert say(phase, P, Say.SESSION_END_NOT_COUNTED) == (Line.SESSION_END_SHORT, *tail)
    assert say(phase, D, Say.SESSION_END_NOT_COUNTED) == (Line.SESSION_END_ALREADY_COUNTED, *tail)


def test_the_twenty_first_day_ends_with_the_habit_line_then_the_checkin() -> None:
    t = apply(HABIT, Event.PRACTICE_COUNTED, TODAY, counted_days=21)
    assert say(Phase.CHECKIN, P, Say.SESSION_END_COUNTED, transition=t) == (
        Line.SESSION_END_HABIT,
        Line.ANNOUNCE_HABIT_COMPLETE,
        Line.CHECKIN_QUESTION,
    )


@pytest.mark.parametrize(
    ("phase", "day", "expected"),
    [
        (Phase.HABIT, P, (Line.NEXT_HABIT,)),
        (Phase.HABIT, D, (Line.NEXT_DONE_TODAY,)),
        (Phase.HABIT, S, (Line.NEXT_SKIPPED,)),
        (Phase.CHECKIN, P, (Line.NEXT_DAILY, Line.CHECKIN_QUESTION)),
        (Phase.CHECKIN, D, (Line.NEXT_DONE_TODAY, Line.CHECKIN_QUESTION)),
        (Phase.DAILY, P, (Line.NEXT_DAILY,)),
        (Phase.FLARE, P, (Line.NEXT_FLARE,)),
        (Phase.FLARE, S, (Line.NEXT_SKIPPED,)),
        (Phase.MAINTENANCE, P, (Line.NEXT_MAINTENANCE,)),
        (Phase.MAINTENANCE, R, (Line.NEXT_REST_DAY,)),
        (Phase.MAINTENANCE, S, (Line.NEXT_SKIPPED_MAINTENANCE,)),
        (Phase.MAINTENANCE, D, (Line.NEXT_DONE_TODAY_MAINTENANCE,)),
    ],
)
def test_progress_next_step(phase: Phase, day: DayKind, expected: tuple[Line, ...]) -> None:
    assert say(phase, day, Say.PROGRESS) == expected


def test_progress_before_any_session() -> None:
    assert say(Phase.HABIT, P, Say.PROGRESS, never_practised=True) == (Line.NEXT_FIRST_SESSION,)


def test_every_reason_has_its_own_announcement() -> None:
    lines = {announcement(r) for r in Reason}
    assert len(lines) == len(Reason)
    assert announcement(Reason.FLARE_REPORTED) is not announcement(Reason.FLARE_ACCEPTED)


def test_every_phase_has_a_header() -> None:
    headers = {progress_header(p) for p in Phase}
    assert len(headers) == len(Phase)


def test_checkin_answer_meets_the_six_week_rule_in_one_message() -> None:
    less = apply(CHECKIN, Event.LESS_SORE, TODAY)
    still = apply(CHECKIN, Event.STILL_SORE, TODAY)
    assert less is not None and still is not None
    assert checkin_answer_lines(less, not_improved=True) == (Line.LESS_SORE_WITH_SIX_WEEK,)
    assert checkin_answer_lines(less, not_improved=False) == (Line.ANNOUNCE_LESS_SORE,)
    assert checkin_answer_lines(still, not_improved=True) == (Line.STILL_SORE_WITH_SIX_WEEK,)
    assert checkin_answer_lines(still, not_improved=False) == (Line.ANNOUNCE_STILL_SORE,)
    flare = apply(MAINT, Event.FLARE_REPORTED, TODAY)
    assert flare is not None
    with pytest.raises(ValueError):
        checkin_answer_lines(flare, True)


def test_six_week_line_follows_the_self_report() -> None:
    assert six_week_line(Phase.MAINTENANCE, True) is Line.SIX_WEEK_DESPITE_LESS_SORE
    for phase in DAILY_PHASES:
        assert six_week_line(phase, True) is Line.SIX_WEEK_ADVICE
    assert six_week_line(Phase.MAINTENANCE, False) is None


def test_every_line_is_reachable() -> None:
    """Each key is produced by some rule, so none is dead text."""
    reached: set[Line] = set()
    transitions = [
        Transition(Phase.HABIT, PhaseState(Phase.CHECKIN, TODAY), r) for r in Reason
    ]  # reason drives the announcement only
    for phase in Phase:
        reached.add(progress_header(phase))
        for day in DayKind:
            for moment in Say:
                for t in [None, *transitions]:
                    for flag in (False, True):
                        reached.update(
                            say(phase, day, moment, transition=t, snoozed=flag, never_practised=flag)
                        )
        for advice in (True, False):
            line = six_week_line(phase, advice)
            if line:
                reached.add(line)
    for t in (apply(CHECKIN, Event.LESS_SORE, TODAY), apply(CHECKIN, Event.STILL_SORE, TODAY)):
        assert t is not None
        for advice in (True, False):
            reached.update(checkin_answer_lines(t, advice))
    for state in ALL:
        for event in Event:
            line = not_applied_line(state, event)
            if line:
                reached.add(line)
    reached.update({Line.FLARE_OFFER, Line.FLARE_OFFER_DECLINED})  # shown by the offer flow itself
    assert reached == set(Line)
