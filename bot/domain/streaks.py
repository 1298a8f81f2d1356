"""Streaks, weekly counts and the pain trend, all over the user's LOCAL dates.

Callers convert session instants to local dates first (see schedule.local_date_of),
so a day is a day where the user lives: DST and zone changes never split or
double a day here, and the same local date given twice counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "PAIN_MEANINGFUL_FRACTION",
    "PAIN_MEANINGFUL_POINTS",
    "RECENT_DAYS",
    "SIX_WEEKS_DAYS",
    "PainTrend",
    "StreakSummary",
    "no_improvement_after_six_weeks",
    "pain_trend",
    "streaks",
    "week_count",
    "week_start",
    "weeks_met",
]

RECENT_DAYS = 7  # the "recent" pain window, today included
PAIN_MEANINGFUL_POINTS = 2  # a drop this large matters (spec: 2 points ...)
PAIN_MEANINGFUL_FRACTION = 0.3  # ... or 30% of the first rating
SIX_WEEKS_DAYS = 42

_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class StreakSummary:
    """What /progress shows about consistency."""

    current: int
    longest: int
    total_sessions: int
    practice_days: int


def streaks(practice_days: Iterable[date], today: date, total_sessions: int | None = None) -> StreakSummary:
    """Current and longest run of consecutive practice days.

    The current streak ends today, or yesterday while today is not done yet: an
    unfinished day must not read as a broken streak before it is over. Dates after
    `today` (clock skew, a zone change westwards) are ignored. `total_sessions`
    defaults to the number of practice days (one session a day).
    """
    days = {d for d in practice_days if d <= today}
    current = 0
    cursor = today if today in days else today - _ONE_DAY
    while cursor in days:
        current += 1
        cursor -= _ONE_DAY
    longest = run = 0
    previous: date | None = None
    for d in sorted(days):
        run = run + 1 if previous is not None and d - previous == _ONE_DAY else 1
        longest = max(longest, run)
        previous = d
    total = len(days) if total_sessions is None else total_sessions
    return StreakSummary(current, longest, total, len(days))


def week_start(day: date) -> date:
    """Monday of the ISO week containing `day` (weekly targets run Mon..Sun)."""
    return day - timedelta(days=day.weekday())


def _count_in(days: set[date], start: date, end: date) -> int:
    """Practice days in [start, end]."""
    return sum(1 for d in days if start <= d <= end)


def week_count(practice_days: Iterable[date], today: date) -> int:
    """Practice days so far in this ISO week, for "2 of 4 this week"."""
    return _count_in(set(practice_days), week_start(today), today)


def weeks_met(practice_days: Iterable[date], today: date, target: int, since: date | None = None) -> int:
    """Consecutive weeks that met `target`, counting back from last week.

    The current week is added if it already met the target, but a current week
    still in progress never breaks the run. With `since` (e.g. maintenance start)
    only practice days on or after it count and earlier weeks are not counted; the
    partial first week counts if it met the target anyway.
    """
    if target < 1:
        raise ValueError("target must be at least 1")
    days = {d for d in practice_days if d <= today and (since is None or d >= since)}
    this_monday = week_start(today)
    met = 1 if _count_in(days, this_monday, today) >= target else 0
    monday = this_monday - _ONE_WEEK
    while since is None or monday + timedelta(days=6) >= since:
        if _count_in(days, monday, monday + timedelta(days=6)) < target:
            break
        met += 1
        monday -= _ONE_WEEK
    return met


@dataclass(frozen=True)
class PainTrend:
    """Pain before sessions: the first rating against the recent average.

    `change` is negative when pain went down; `meaningful` means the drop reached
    2 points or 30% of the first rating.
    """

    first: int | None
    recent_avg: float | None
    change: float | None
    meaningful: bool


def _is_meaningful(first: int, recent_avg: float) -> bool:
    """2 points or 30% (with a float tolerance so exactly 30% counts)."""
    drop = first - recent_avg
    by_points = drop >= PAIN_MEANINGFUL_POINTS - 1e-9
    by_percent = first > 0 and drop >= PAIN_MEANINGFUL_FRACTION * first - 1e-9
    return by_points or by_percent


def pain_trend(ratings: Sequence[tuple[date, int]], today: date) -> PainTrend:
    """Compare the first pain-before rating with the mean of the last 7 days.

    `ratings` are (local date, 0-10 rating) in any order; with several on the
    earliest date the first one given wins. No recent ratings -> no average and
    no change, since an old number says nothing about how the user is now.
    """
    if not ratings:
        return PainTrend(None, None, None, False)
    first_day = min(d for d, _ in ratings)
    first = next(r for d, r in ratings if d == first_day)
    window_start = today - timedelta(days=RECENT_DAYS - 1)
    recent = [r for d, r in ratings if window_start <= d <= today]
    if not recent:
        return PainTrend(first, None, None, False)
    avg = sum(recent) / len(recent)
    return PainTrend(first, avg, avg - first, _is_meaningful(first, avg))


def no_improvement_after_six_weeks(ratings: Sequence[tuple[date, int]], today: date) -> bool:
    """True when it is time to suggest a doctor: 6+ weeks in, pain not clearly down.

    Needs a recent average to judge; without recent ratings we do not nag.
    """
    if not ratings:
        return False
    first_day = min(d for d, _ in ratings)
    if (today - first_day).days < SIX_WEEKS_DAYS:
        return False
    trend = pain_trend(ratings, today)
    return trend.change is not None and not trend.meaningful
