"""Phase-aware streaks, week tallies and day kinds over a PracticeLog."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.streaks import (
    DayKind,
    PhaseStreak,
    PracticeLog,
    StreakUnit,
    day_kind,
    days_done_in_phase,
    maintenance_weeks,
    phase_streak,
    this_week,
    week_adherence,
)

MON = date(2026, 6, 1)  # a Monday
MWFS = frozenset({0, 2, 4, 6})  # the default maintenance days


def d(offset: int) -> date:
    return MON + timedelta(days=offset)


def days(*offsets: int) -> frozenset[date]:
    return frozenset(d(o) for o in offsets)


# --- daily phases --------------------------------------------------------------------------


def test_day_kinds_in_the_habit_phase() -> None:
    log = PracticeLog(
        today=d(6),
        periods=(("habit", d(1)),),
        done=days(1, 2, 5),
        partial=days(3),
        skipped=days(4),
    )
    kinds = [day_kind(log, d(i)) for i in range(8)]
    assert kinds == [
        DayKind.BEFORE_JOINING,
        DayKind.DONE,
        DayKind.DONE,
        DayKind.PARTIAL,
        DayKind.SKIPPED,
        DayKind.DONE,
        DayKind.OPEN,  # today, not done yet: not a miss
        DayKind.FUTURE,
    ]


def test_day_streak_bridges_skips_and_today_but_not_misses() -> None:
    # done, done, skipped, done, [today open]
    log = PracticeLog(today=d(4), periods=(("habit", d(0)),), done=days(0, 1, 3), skipped=days(2))
    assert phase_streak(log) == PhaseStreak(StreakUnit.DAYS, 3, 3)
    # Tomorrow, with today not done, the run is over (today became a missed day).
    later = PracticeLog(today=d(5), periods=log.periods, done=log.done, skipped=log.skipped)
    assert day_kind(later, d(4)) is DayKind.MISSED
    assert phase_streak(later) == PhaseStreak(StreakUnit.DAYS, 0, 3)


def test_paused_days_are_neither_missed_nor_counted() -> None:
    log = PracticeLog(
        today=d(9),
        periods=(("habit", d(0)),),
        done=days(0, 1, 7, 8, 9),
        pauses=((d(2), d(6)),),
    )
    assert {day_kind(log, d(i)) for i in range(2, 7)} == {DayKind.PAUSED}
    assert phase_streak(log).current == 5


def test_an_ongoing_pause_covers_today() -> None:
    log = PracticeLog(today=d(3), periods=(("habit", d(0)),), done=days(0, 1), pauses=((d(2), None),))
    assert day_kind(log, d(3)) is DayKind.PAUSED
    assert phase_streak(log).current == 2


def test_days_done_count_only_the_current_phase() -> None:
    log = PracticeLog(
        today=d(10),
        periods=(("maintenance", d(0)), ("daily", d(7))),
        done=days(0, 2, 4, 7, 8, 10),
    )
    assert days_done_in_phase(log) == 3


# --- maintenance ---------------------------------------------------------------------------


def maintenance_user(today: int, done: frozenset[date], **kw: object) -> PracticeLog:
    """Habit from 21 days before MON, maintenance from MON (a Monday) on Mon/Wed/Fri/Sun."""
    habit_days = frozenset(MON - timedelta(days=i) for i in range(1, 22))
    return PracticeLog(
        today=d(today),
        periods=(("habit", MON - timedelta(days=21)), ("maintenance", MON)),
        done=habit_days | done,
        weekdays=MWFS,
        **kw,  # type: ignore[arg-type]
    )


def test_rest_days_are_rest_and_an_on_plan_week_counts() -> None:
    log = maintenance_user(7, days(0, 2, 4, 6, 7))  # week 1 on plan, week 2's Monday done
    assert [day_kind(log, d(i)) for i in range(7)] == [
        DayKind.DONE,
        DayKind.REST,
        DayKind.DONE,
        DayKind.REST,
        DayKind.DONE,
        DayKind.REST,
        DayKind.DONE,
    ]
    assert phase_streak(log) == PhaseStreak(StreakUnit.WEEKS, 1, 1)
    week = this_week(log)
    assert week is not None
    assert (week.start, week.done, week.target, week.prorated) == (d(7), 1, 4, False)


def test_practising_on_other_days_than_planned_keeps_the_week_on_plan() -> None:
    # Tue, Wed, Thu, Sat instead of Mon, Wed, Fri, Sun: still 4 of 4.
    log = maintenance_user(8, days(1, 2, 3, 5))
    assert day_kind(log, d(0)) is DayKind.REST  # planned, not done, but the week is on plan
    assert day_kind(log, d(1)) is DayKind.DONE
    assert phase_streak(log).current == 1


def test_a_week_under_target_breaks_the_run_and_shows_misses() -> None:
    log = maintenance_user(14, days(0, 2, 4, 6) | days(7, 9) | days(14))
    assert [day_kind(log, d(i)) for i in (7, 8, 9, 10, 11, 12, 13)] == [
        DayKind.DONE,
        DayKind.REST,
        DayKind.DONE,
        DayKind.REST,
        DayKind.MISSED,  # planned Friday, week ended 2 of 4
        DayKind.REST,
        DayKind.MISSED,
    ]
    assert phase_streak(log) == PhaseStreak(StreakUnit.WEEKS, 0, 1)


def test_skip_today_lowers_the_week_target_instead_of_breaking_the_run() -> None:
    log = maintenance_user(13, days(0, 2, 4, 6) | days(7, 9, 11), skipped=days(13))
    assert day_kind(log, d(13)) is DayKind.SKIPPED
    assert phase_streak(log).current == 2
    week = this_week(log)
    assert week is not None and (week.done, week.planned, week.excused, week.target) == (3, 4, 1, 3)


def test_the_week_in_progress_never_breaks_the_run() -> None:
    log = maintenance_user(9, days(0, 2, 4, 6))  # Wednesday of week 2, nothing yet
    assert phase_streak(log).current == 1
    assert day_kind(log, d(7)) is DayKind.MISSED  # Monday is over and not made up yet
    assert day_kind(log, d(9)) is DayKind.OPEN


def test_mid_week_start_counts_from_the_start_against_a_prorated_target() -> None:
    # Maintenance starts on a Friday: Fri and Sun remain of Mon/Wed/Fri/Sun.
    friday = d(4)
    log = PracticeLog(
        today=d(5),
        periods=(("habit", friday - timedelta(days=21)), ("maintenance", friday)),
        done=frozenset(friday - timedelta(days=i) for i in range(0, 22)),  # daily until today
    )
    week = this_week(log)
    assert week is not None
    # Monday..Thursday of that week were daily-phase sessions: not counted.
    assert (week.start, week.end, week.done, week.planned, week.target) == (friday, d(6), 1, 2, 2)
    assert week.prorated
    assert phase_streak(log).current == 0
    on_plan = PracticeLog(today=d(6), periods=log.periods, done=log.done | days(6))
    assert phase_streak(on_plan) == PhaseStreak(StreakUnit.WEEKS, 1, 1)


def test_a_start_with_no_planned_day_left_makes_a_neutral_first_week() -> None:
    saturday = d(5)
    log = PracticeLog(
        today=d(8),
        periods=(("habit", d(-20)), ("maintenance", saturday)),
        weekdays=frozenset({0, 1, 2, 3}),
        done=days(7, 8),
    )
    first, second = maintenance_weeks(log)
    assert (first.start, first.end, first.target, first.neutral) == (saturday, d(6), 0, True)
    assert (second.start, second.done, second.target) == (d(7), 2, 4)


def test_a_flare_up_ends_the_week_count_and_a_new_maintenance_starts_afresh() -> None:
    log = PracticeLog(
        today=d(24),
        periods=(("maintenance", d(0)), ("daily", d(14)), ("maintenance", d(21))),
        done=days(0, 2, 4, 6, 7, 9, 11, 13) | days(*range(14, 25)),
    )
    assert phase_streak(log) == PhaseStreak(StreakUnit.WEEKS, 1, 2)
    weeks = maintenance_weeks(log)
    assert [(w.start, w.end) for w in weeks] == [(d(0), d(6)), (d(7), d(13)), (d(21), d(27))]
    # In the daily phase between, the streak was counted in days.
    during = PracticeLog(today=d(20), periods=log.periods, done=log.done)
    assert phase_streak(during).unit is StreakUnit.DAYS
    # Days 13..20 in a row; the rest day before them (Saturday, day 12) ends the run.
    assert phase_streak(during).current == 8


def test_same_day_phase_changes_keep_the_last() -> None:
    log = PracticeLog(today=d(3), periods=(("habit", d(0)), ("checkin", d(3)), ("maintenance", d(3))))
    assert log.phase == "maintenance"
    assert [p for p, _, _ in log.spans] == ["habit", "maintenance"]


def test_invalid_logs_are_refused() -> None:
    with pytest.raises(ValueError):
        PracticeLog(today=d(0), periods=())
    with pytest.raises(ValueError):
        PracticeLog(today=d(0), periods=(("habit", d(0)),), weekdays=frozenset({7}))


def test_week_adherence_follows_the_plan_in_force_each_day() -> None:
    # Daily until Wednesday, maintenance (Mon/Wed/Fri/Sun) from Thursday; today is Saturday.
    log = PracticeLog(
        today=d(5),
        periods=(("habit", d(-7)), ("maintenance", d(3))),
        done=days(0, 1, 4),
        skipped=days(2),
    )
    # Due: Mon, Tue (daily; Wed skipped with a reason), Fri (maintenance); Thu and Sat are rest days.
    assert week_adherence(log, d(0)) == (3, 3)
    # On Friday, before today's session: Wednesday (not skipped this time) is due, Friday not yet.
    assert week_adherence(PracticeLog(today=d(4), periods=log.periods, done=days(0, 1)), d(0)) == (2, 3)
