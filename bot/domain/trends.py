"""The pain trend: how pain before and after sessions has moved, judged against a change that matters.

Only sessions that reached their end count (completed, or ended short as
"incomplete"): an abandoned or cancelled session's rating was often given in a
hurry or before stopping for another reason, and once counted it moved the
average on its own. Before and after are separate series: "before" is how the back
is day to day, "after" what a session leaves it at.

A change matters when it reaches the clinically meaningful difference for a 0-10
pain scale: about 2 points or 30% of the baseline, whichever is reached first. We
floor the 30% route at 1 point, since on a whole-number scale anything less is
one rating's noise (30% of a baseline of 2 would be 0.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "COUNTED_STATUSES",
    "MEANINGFUL_FRACTION",
    "MEANINGFUL_POINTS",
    "MIN_MEANINGFUL_POINTS",
    "RECENT_DAYS",
    "Direction",
    "PainTrends",
    "SeriesTrend",
    "SessionPain",
    "counted_sessions",
    "daily_means",
    "meaningful_difference",
    "pain_trends",
    "series_trend",
]

COUNTED_STATUSES = frozenset({"completed", "incomplete"})
MEANINGFUL_POINTS = 2.0
MEANINGFUL_FRACTION = 0.3
MIN_MEANINGFUL_POINTS = 1.0
RECENT_DAYS = 7  # "recent" = the last 7 local days, today included


@dataclass(frozen=True)
class SessionPain:
    """One session's pain ratings (0-10, either may be missing) and how the session ended."""

    day: date  # the user's local date
    status: str  # open | completed | incomplete | abandoned
    before: int | None
    after: int | None


class Direction(StrEnum):
    """What a series did, for the view to word; never a sentence here."""

    NOT_YET = "not_yet"  # nothing to compare yet: no later rating in the last 7 days
    BETTER = "better"  # down by at least the meaningful difference
    SAME = "same"  # moved less than that, either way
    WORSE = "worse"  # up by at least the meaningful difference


@dataclass(frozen=True)
class SeriesTrend:
    """Baseline (the first rated day) against the mean of the last 7 days' later ratings.

    `change` is recent - baseline, so negative means less pain; `threshold` is the
    meaningful difference for this baseline, in points.
    """

    baseline: float | None
    baseline_day: date | None
    recent: float | None
    change: float | None
    threshold: float | None
    direction: Direction
    ratings: int  # counted ratings in this series, all time


@dataclass(frozen=True)
class PainTrends:
    before: SeriesTrend
    after: SeriesTrend


def counted_sessions(sessions: Iterable[SessionPain]) -> list[SessionPain]:
    """The sessions whose ratings count (completed or incomplete), oldest day first."""
    return sorted((s for s in sessions if s.status in COUNTED_STATUSES), key=lambda s: s.day)


def meaningful_difference(baseline: float) -> float:
    """Points of change that matter from `baseline`: min(2, 30% of it), at least 1 point."""
    return max(MIN_MEANINGFUL_POINTS, min(MEANINGFUL_POINTS, MEANINGFUL_FRACTION * baseline))


def daily_means(ratings: Iterable[tuple[date, float]]) -> dict[date, float]:
    """Mean rating per local day (several sessions on one day count as that day's average)."""
    sums: dict[date, list[float]] = {}
    for day, value in ratings:
        sums.setdefault(day, []).append(float(value))
    return {day: sum(v) / len(v) for day, v in sorted(sums.items())}


def series_trend(ratings: Sequence[tuple[date, int]], today: date) -> SeriesTrend:
    """Judge one series of (local date, 0-10 rating); ratings after `today` are ignored."""
    per_day = daily_means((d, max(0, min(10, r))) for d, r in ratings if d <= today)
    count = sum(1 for d, _ in ratings if d <= today)
    if not per_day:
        return SeriesTrend(None, None, None, None, None, Direction.NOT_YET, 0)
    baseline_day = next(iter(per_day))
    baseline = per_day[baseline_day]
    threshold = meaningful_difference(baseline)
    window_start = today - timedelta(days=RECENT_DAYS - 1)
    recent_values = [
        r for d, r in ratings if max(window_start, baseline_day + timedelta(days=1)) <= d <= today
    ]
    if not recent_values:
        return SeriesTrend(baseline, baseline_day, None, None, threshold, Direction.NOT_YET, count)
    recent = sum(max(0, min(10, r)) for r in recent_values) / len(recent_values)
    change = recent - baseline
    if change <= -threshold + 1e-9:
        direction = Direction.BETTER
    elif change >= threshold - 1e-9:
        direction = Direction.WORSE
    else:
        direction = Direction.SAME
    return SeriesTrend(baseline, baseline_day, recent, change, threshold, direction, count)


def pain_trends(sessions: Iterable[SessionPain], today: date) -> PainTrends:
    """Before and after trends over the counted sessions only."""
    counted = counted_sessions(sessions)
    before = [(s.day, s.before) for s in counted if s.before is not None]
    after = [(s.day, s.after) for s in counted if s.after is not None]
    return PainTrends(series_trend(before, today), series_trend(after, today))
