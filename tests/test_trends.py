"""Pain trends: counted sessions only, before and after apart, judged by the meaningful difference."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.trends import (
    Direction,
    SessionPain,
    meaningful_difference,
    pain_trends,
    series_trend,
)

TODAY = date(2026, 6, 10)


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_meaningful_difference_is_two_points_or_thirty_percent_at_least_one_point() -> None:
    assert meaningful_difference(8) == 2.0  # 30% would be 2.4: two points come first
    assert meaningful_difference(5) == pytest.approx(1.5)
    assert meaningful_difference(2) == 1.0  # 0.6 is below the scale's resolution
    assert meaningful_difference(0) == 1.0


def test_abandoned_and_open_sessions_never_count() -> None:
    sessions = [
        SessionPain(ago(20), "completed", 6, 4),
        SessionPain(ago(2), "completed", 5, 3),
        SessionPain(ago(1), "abandoned", 1, None),  # a /cancel'd session's rating
        SessionPain(TODAY, "open", 0, None),
    ]
    trends = pain_trends(sessions, TODAY)
    assert trends.before.recent == 5.0
    assert trends.before.ratings == 2


def test_before_and_after_are_judged_separately() -> None:
    sessions = [
        SessionPain(ago(30), "completed", 6, 5),
        SessionPain(ago(3), "incomplete", 6, 2),  # ended short, still counts
        SessionPain(ago(1), "completed", 6, 3),
    ]
    trends = pain_trends(sessions, TODAY)
    assert (trends.before.baseline, trends.before.recent, trends.before.direction) == (6, 6, Direction.SAME)
    assert trends.after.baseline == 5
    assert trends.after.recent == pytest.approx(2.5)
    assert trends.after.change == pytest.approx(-2.5)
    assert trends.after.direction is Direction.BETTER


def test_direction_by_points_and_by_percent() -> None:
    # 10 -> 8: two points (20%) is meaningful.
    assert series_trend([(ago(30), 10), (TODAY, 8)], TODAY).direction is Direction.BETTER
    # 5 -> 3.5: 1.5 points is 30% of 5.
    assert series_trend([(ago(30), 5), (ago(1), 4), (TODAY, 3)], TODAY).direction is Direction.BETTER
    # 8 -> 7: neither.
    assert series_trend([(ago(30), 8), (TODAY, 7)], TODAY).direction is Direction.SAME
    # 3 -> 5: up by the meaningful difference.
    worse = series_trend([(ago(30), 3), (TODAY, 5)], TODAY)
    assert (worse.direction, worse.change, worse.threshold) == (Direction.WORSE, 2.0, 1.0)


def test_nothing_to_compare_yet() -> None:
    assert series_trend([], TODAY).direction is Direction.NOT_YET
    only_today = series_trend([(TODAY, 5), (TODAY, 7)], TODAY)
    assert (only_today.baseline, only_today.recent, only_today.direction) == (6.0, None, Direction.NOT_YET)
    stale = series_trend([(ago(30), 6), (ago(10), 3)], TODAY)  # nothing in the last 7 days
    assert stale.recent is None and stale.direction is Direction.NOT_YET


def test_future_ratings_are_ignored_and_values_clamped() -> None:
    t = series_trend([(ago(9), 12), (TODAY + timedelta(days=1), 0), (TODAY, 7)], TODAY)
    assert (t.baseline, t.recent, t.ratings) == (10.0, 7.0, 2)
