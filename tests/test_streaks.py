"""Streaks, weekly targets and the pain trend over local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.schedule import local_date_of, resolve_local
from bot.domain.streaks import (
    PainTrend,
    StreakSummary,
    no_improvement_after_six_weeks,
    pain_trend,
    streaks,
    week_count,
    week_start,
    weeks_met,
)

TODAY = date(2026, 6, 10)  # a Wednesday


def days_back(*offsets: int) -> list[date]:
    return [TODAY - timedelta(days=o) for o in offsets]


# --- streaks ------------------------------------------------------------------------


def test_empty_history() -> None:
    assert streaks([], TODAY) == StreakSummary(0, 0, 0, 0)


def test_today_done_counts() -> None:
    s = streaks(days_back(0, 1, 2), TODAY)
    assert (s.current, s.longest, s.practice_days) == (3, 3, 3)


def test_today_not_done_yet_does_not_break_the_streak() -> None:
    s = streaks(days_back(1, 2), TODAY)
    assert s.current == 2


def test_streak_is_over_once_a_whole_day_is_missed() -> None:
    assert streaks(days_back(2, 3, 4), TODAY).current == 0


def test_gap_resets_current_but_not_longest() -> None:
    s = streaks(days_back(0, 2, 3, 4, 5, 7), TODAY)
    assert s.current == 1
    assert s.longest == 4
    assert s.practice_days == 6


def test_duplicates_and_order_do_not_matter() -> None:
    s = streaks([TODAY, TODAY - timedelta(days=1), TODAY, TODAY - timedelta(days=1)], TODAY)
    assert (s.current, s.practice_days, s.total_sessions) == (2, 2, 2)


def test_total_sessions_passed_through() -> None:
    s = streaks(days_back(0, 1), TODAY, total_sessions=5)
    assert s.total_sessions == 5
    assert s.practice_days == 2


def test_future_dates_are_ignored() -> None:
    s = streaks([TODAY + timedelta(days=1), TODAY], TODAY)
    assert s == StreakSummary(1, 1, 1, 1)


def test_streak_across_dst_change() -> None:
    # Sessions at 07:30 local around Berlin's spring switch (2026-03-29): the UTC
    # gaps are 23 h across the switch, but the local dates are consecutive.
    tz = "Europe/Berlin"
    instants = [resolve_local(date(2026, 3, d), time(7, 30), tz) for d in (27, 28, 29, 30)]
    assert instants[2] - instants[1] == timedelta(hours=23)
    local_days = [local_date_of(i, tz) for i in instants]
    s = streaks(local_days, date(2026, 3, 30))
    assert s.current == 4
    assert s.longest == 4


def test_sessions_around_a_time_zone_change() -> None:
    # Evening session in Berlin, the user flies to New York and does another session
    # that same local evening. The caller converts each with the zone in force then;
    # both are 2026-06-01, so the day counts once.
    berlin = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # 21:00 in Berlin
    new_york = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 21:00 in New York, 03:00 in Berlin
    days = [local_date_of(berlin, "Europe/Berlin"), local_date_of(new_york, "America/New_York")]
    assert days == [date(2026, 6, 1), date(2026, 6, 1)]
    s = streaks(days, date(2026, 6, 2), total_sessions=2)
    assert s == StreakSummary(current=1, longest=1, total_sessions=2, practice_days=1)


def test_travel_that_skips_a_local_date() -> None:
    # Flying New York -> Tokyo can leave a local date (06-02) without a session:
    # like any missed day it ends the run only once the day is over.
    days = [date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 3)]
    assert streaks(days, date(2026, 6, 2)).current == 2
    assert streaks(days, date(2026, 6, 3)).current == 1
    assert streaks(days, date(2026, 6, 3)).longest == 2


# --- weeks ------------------------------------------------------------------------------


def test_week_start_is_monday() -> None:
    assert week_start(TODAY) == date(2026, 6, 8)
    assert week_start(date(2026, 6, 8)) == date(2026, 6, 8)
    assert week_start(date(2026, 6, 14)) == date(2026, 6, 8)  # Sunday
    assert week_start(date(2026, 1, 1)) == date(2025, 12, 29)  # across a year


def test_week_count() -> None:
    # Mon and Wed this week, plus last Sunday (previous week).
    days = [date(2026, 6, 8), date(2026, 6, 10), date(2026, 6, 7)]
    assert week_count(days, TODAY) == 2
    assert week_count([], TODAY) == 0


def _week(monday: date, *weekdays: int) -> list[date]:
    return [monday + timedelta(days=w) for w in weekdays]


THIS_MON = date(2026, 6, 8)
W1 = THIS_MON - timedelta(weeks=1)
W2 = THIS_MON - timedelta(weeks=2)
W3 = THIS_MON - timedelta(weeks=3)
W4 = THIS_MON - timedelta(weeks=4)


def test_weeks_met_counts_back_from_last_week() -> None:
    days = _week(W1, 0, 2, 4) + _week(W2, 1, 3, 5) + _week(W3, 0, 1, 2, 3) + _week(W4, 0)
    assert weeks_met(days, TODAY, target=3) == 3


def test_current_week_counts_once_met_and_never_breaks() -> None:
    past = _week(W1, 0, 2, 4) + _week(W2, 0, 2, 4)
    assert weeks_met(past, TODAY, target=3) == 2
    assert weeks_met(past + _week(THIS_MON, 0), TODAY, target=3) == 2
    assert weeks_met(past + _week(THIS_MON, 0, 1, 2), TODAY, target=3) == 3


def test_missed_last_week_resets() -> None:
    days = _week(W1, 0, 2) + _week(W2, 0, 2, 4) + _week(W3, 0, 2, 4)
    assert weeks_met(days, TODAY, target=3) == 0
    assert weeks_met(days + _week(THIS_MON, 0, 1, 2), TODAY, target=3) == 1


def test_weeks_before_since_are_not_counted() -> None:
    days = _week(W1, 0, 2, 4) + _week(W2, 0, 2, 4) + _week(W3, 0, 2, 4)
    # Maintenance began on W2's Monday: W3 (habit time) is not counted.
    assert weeks_met(days, TODAY, target=3, since=W2) == 2
    # Began mid-week on W2's Wednesday: only 2 practice days left in that week.
    assert weeks_met(days, TODAY, target=3, since=W2 + timedelta(days=2)) == 1
    assert weeks_met(days, TODAY, target=2, since=W2 + timedelta(days=2)) == 2


def test_weeks_met_rejects_zero_target() -> None:
    with pytest.raises(ValueError):
        weeks_met([], TODAY, target=0)


# --- pain trend ----------------------------------------------------------------------------


def test_no_ratings() -> None:
    assert pain_trend([], TODAY) == PainTrend(None, None, None, False)


def test_meaningful_by_points() -> None:
    # 10 -> 8 is only 20%, but two points.
    ratings = [(TODAY - timedelta(days=30), 10), (TODAY - timedelta(days=1), 8), (TODAY, 8)]
    t = pain_trend(ratings, TODAY)
    assert (t.first, t.recent_avg, t.change, t.meaningful) == (10, 8.0, -2.0, True)


def test_meaningful_by_percent() -> None:
    # 3 -> 2 is one point, but 33%.
    t = pain_trend([(TODAY, 2), (TODAY - timedelta(days=20), 3)], TODAY)
    assert t.change == -1.0
    assert t.meaningful


def test_exactly_thirty_percent_counts() -> None:
    t = pain_trend([(TODAY - timedelta(days=20), 5), (TODAY, 4), (TODAY, 3)], TODAY)
    assert t.recent_avg == 3.5
    assert t.meaningful


def test_not_meaningful() -> None:
    t = pain_trend([(TODAY - timedelta(days=20), 8), (TODAY - timedelta(days=2), 7)], TODAY)
    assert t.change == -1.0
    assert not t.meaningful


def test_pain_going_up_is_not_meaningful() -> None:
    t = pain_trend([(TODAY - timedelta(days=20), 3), (TODAY, 6)], TODAY)
    assert t.change == 3.0
    assert not t.meaningful


def test_recent_window_is_last_seven_days_and_order_free() -> None:
    ratings = [
        (TODAY - timedelta(days=6), 4),  # in the window
        (TODAY - timedelta(days=7), 0),  # just outside
        (TODAY - timedelta(days=40), 7),  # the first rating, given out of order
        (TODAY, 2),
    ]
    t = pain_trend(ratings, TODAY)
    assert t.first == 7
    assert t.recent_avg == 3.0


def test_no_recent_ratings_means_no_change() -> None:
    t = pain_trend([(TODAY - timedelta(days=30), 6), (TODAY - timedelta(days=10), 3)], TODAY)
    assert t == PainTrend(6, None, None, False)


def test_single_rating_today() -> None:
    assert pain_trend([(TODAY, 5)], TODAY) == PainTrend(5, 5.0, 0.0, False)


# --- six-week rule -----------------------------------------------------------------------------


def _flat(first_days_ago: int, first: int, recent: int) -> list[tuple[date, int]]:
    return [(TODAY - timedelta(days=first_days_ago), first), (TODAY, recent)]


def test_six_weeks_without_improvement_suggests_a_doctor() -> None:
    assert no_improvement_after_six_weeks(_flat(42, 6, 5), TODAY)


def test_before_six_weeks_no_suggestion() -> None:
    assert not no_improvement_after_six_weeks(_flat(41, 6, 6), TODAY)


def test_improved_after_six_weeks_no_suggestion() -> None:
    assert not no_improvement_after_six_weeks(_flat(60, 6, 3), TODAY)


def test_six_week_rule_needs_recent_ratings() -> None:
    assert not no_improvement_after_six_weeks([(TODAY - timedelta(days=50), 6)], TODAY)
    assert not no_improvement_after_six_weeks([], TODAY)
