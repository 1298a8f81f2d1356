"""Streaks, weekly counts and the pain trend, all over the user's LOCAL dates.

Callers convert session instants to local dates first (see schedule.local_date_of),
so a day is a day where the user lives: DST and zone changes never split or
double a day here, and the same local date given twice counts once.

`PracticeLog` is the plain-values picture of a user's history that the phase-aware
functions (`day_kind`, `phase_streak`, `this_week`, and habit_strength) read: which
phase was in force on each day, which days were practised, skipped with a reason or
paused. The older single-purpose functions below it (`streaks`, `week_count`,
`weeks_met`, `pain_trend`) are kept for callers that have only a list of dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

__all__ = [
    "PAIN_MEANINGFUL_FRACTION",
    "PAIN_MEANINGFUL_POINTS",
    "RECENT_DAYS",
    "SIX_WEEKS_DAYS",
    "WEEKLY_PHASES",
    "DayKind",
    "PainTrend",
    "PhaseStreak",
    "PracticeLog",
    "StreakSummary",
    "StreakUnit",
    "WeekTally",
    "day_kind",
    "days_done_in_phase",
    "maintenance_weeks",
    "no_improvement_after_six_weeks",
    "pain_trend",
    "phase_streak",
    "streaks",
    "this_week",
    "week_adherence",
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


# --- the practice log -------------------------------------------------------------------

# Phases practised on chosen weekdays against a weekly target; every other phase
# (habit, check-in, daily after "still sore" or a flare-up) is practised daily.
WEEKLY_PHASES: frozenset[str] = frozenset({"maintenance"})
_DEFAULT_WEEKDAYS: frozenset[int] = frozenset({0, 2, 4, 6})


class DayKind(StrEnum):
    """What one local day was, for streaks, the score and the calendar picture."""

    BEFORE_JOINING = "before_joining"  # not part of the user's history at all
    DONE = "done"  # a completed session that day
    PARTIAL = "partial"  # a session started or ended short of complete: tried, not counted
    SKIPPED = "skipped"  # "skip today" with a reason: never a miss
    PAUSED = "paused"  # the programme was paused (by the user or a safety answer)
    REST = "rest"  # maintenance day off, or a planned day in a week already on plan
    MISSED = "missed"  # due, over, and not done
    OPEN = "open"  # today, due and not done yet: not over, so not a miss
    FUTURE = "future"


# Kinds that neither count nor break a run of days.
_NEUTRAL_KINDS = frozenset({DayKind.SKIPPED, DayKind.PAUSED, DayKind.OPEN})


@dataclass(frozen=True)
class PracticeLog:
    """A user's history as plain local dates; the first period's start is the joining day.

    `periods` are (phase, first day) pairs, oldest first; a period lasts until the
    next one starts (several changes on one day: the last wins). `pauses` are
    (first paused day, last paused day or None while still paused). `weekdays`
    are the maintenance practice days (Monday = 0); the weekly target is their number.
    """

    today: date
    periods: tuple[tuple[str, date], ...]
    done: frozenset[date] = frozenset()
    partial: frozenset[date] = frozenset()
    skipped: frozenset[date] = frozenset()
    pauses: tuple[tuple[date, date | None], ...] = ()
    weekdays: frozenset[int] = field(default=_DEFAULT_WEEKDAYS)

    def __post_init__(self) -> None:
        """Accept any iterables and order the periods, so callers can pass query rows as they come."""
        if not self.periods:
            raise ValueError("a practice log needs at least one phase period (the joining day)")
        periods = tuple(sorted(((str(p), d) for p, d in self.periods), key=lambda pd: pd[1]))
        object.__setattr__(self, "periods", periods)
        for name in ("done", "partial", "skipped"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "pauses", tuple(self.pauses))
        days = frozenset(self.weekdays) or _DEFAULT_WEEKDAYS
        if any(d not in range(7) for d in days):
            raise ValueError(f"weekdays must be within 0..6 (Mon..Sun), got {sorted(days)}")
        object.__setattr__(self, "weekdays", days)

    @property
    def joined(self) -> date:
        """The first day of the history (today, should a clock or zone change put today earlier)."""
        return min(self.periods[0][1], self.today)

    @property
    def weekly_target(self) -> int:
        """Sessions a week to aim for in maintenance: one per chosen weekday."""
        return len(self.weekdays)

    @property
    def phase(self) -> str:
        """The phase in force today."""
        return self.phase_on(self.today) or self.periods[0][0]

    def phase_on(self, day: date) -> str | None:
        """The phase in force on `day`; None before joining."""
        return None if day < self.joined else self.period_of(day)[0]

    @cached_property
    def spans(self) -> tuple[tuple[str, date, date | None], ...]:
        """(phase, first day, last day or None while running), oldest first; same-day changes collapse."""
        result: list[tuple[str, date, date | None]] = []
        for i, (phase, start) in enumerate(self.periods):
            nxt = self.periods[i + 1][1] if i + 1 < len(self.periods) else None
            if nxt == start:
                continue  # superseded the same day
            result.append((phase, start, nxt - _ONE_DAY if nxt is not None else None))
        return tuple(result)

    def period_of(self, day: date) -> tuple[str, date, date | None]:
        """(phase, first day, last day or None) of the period containing `day` (the first before joining)."""
        found = self.spans[0]
        for span in self.spans:
            if span[1] <= day:
                found = span
        return found

    def is_weekly(self, day: date) -> bool:
        return self.phase_on(day) in WEEKLY_PHASES

    def paused_on(self, day: date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.pauses)

    def excused(self, day: date) -> bool:
        """Skipped with a reason or paused, without a session: never held against the user."""
        return day not in self.done and (day in self.skipped or self.paused_on(day))

    def planned(self, day: date) -> bool:
        """A practice day by the plan in force (every day outside maintenance)."""
        return not self.is_weekly(day) or day.weekday() in self.weekdays

    def days(self) -> Iterator[date]:
        """Every day of the history, joining day to today."""
        day = self.joined
        while day <= self.today:
            yield day
            day += _ONE_DAY

    @cached_property
    def _tallies(self) -> dict[date, WeekTally]:
        """Each maintenance day's week tally, computed once per log."""
        by_day: dict[date, WeekTally] = {}
        for tally in maintenance_weeks(self):
            day = tally.start
            while day <= tally.end:
                by_day[day] = tally
                day += _ONE_DAY
        return by_day


@dataclass(frozen=True)
class WeekTally:
    """One maintenance week, or the part of it that maintenance covers.

    A week that maintenance enters mid-week (or leaves for daily practice) is
    counted from `start` to `end` only, against a prorated target: the planned
    weekdays inside that stretch. Planned days skipped with a reason or paused are
    `excused` and lower the target. A target of 0 makes the week neutral: it
    neither counts nor breaks a run of weeks.
    """

    start: date  # Monday, or the first maintenance day of a partial week
    end: date  # Sunday, or the last maintenance day
    done: int  # practice days in start..end (up to today)
    planned: int  # planned weekdays in start..end
    excused: int  # planned days skipped with a reason or paused
    current: bool  # contains today: still in progress

    @property
    def target(self) -> int:
        return max(0, self.planned - self.excused)

    @property
    def prorated(self) -> bool:
        """Shorter than a whole Monday..Sunday week, so the target is prorated."""
        return self.start.weekday() != 0 or self.end.weekday() != 6

    @property
    def met(self) -> bool:
        return self.target > 0 and self.done >= self.target

    @property
    def neutral(self) -> bool:
        return self.target == 0

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.done)


def maintenance_weeks(log: PracticeLog) -> list[WeekTally]:
    """Every maintenance week (or partial week) up to today, oldest first.

    Weeks run Monday..Sunday and are cut at phase boundaries, so daily-phase
    sessions never count towards a maintenance week (the count starts when
    maintenance starts).
    """
    tallies: list[WeekTally] = []
    for phase, start, last in log.spans:
        if phase not in WEEKLY_PHASES:
            continue
        seg_start = start
        while seg_start <= log.today and (last is None or seg_start <= last):
            sunday = week_start(seg_start) + timedelta(days=6)
            seg_end = sunday if last is None else min(sunday, last)
            tallies.append(_tally(log, seg_start, seg_end))
            seg_start = seg_end + _ONE_DAY
    return tallies


def _tally(log: PracticeLog, start: date, end: date) -> WeekTally:
    done = planned = excused = 0
    day = start
    while day <= end:
        if day <= log.today and day in log.done:
            done += 1
        if day.weekday() in log.weekdays:
            planned += 1
            if day <= log.today and log.excused(day):
                excused += 1
        day += _ONE_DAY
    return WeekTally(start, end, done, planned, excused, start <= log.today <= end)


def day_kind(log: PracticeLog, day: date) -> DayKind:
    """What `day` was. A miss is only ever a due day that is over and not done.

    In maintenance a planned day without a session reads as REST once its week
    is on plan (the user practised on another day instead), and as MISSED
    otherwise; today is OPEN while due and not done.
    """
    if day < log.joined:
        return DayKind.BEFORE_JOINING
    if day > log.today:
        return DayKind.FUTURE
    if day in log.done:
        return DayKind.DONE
    if log.paused_on(day):
        return DayKind.PAUSED
    if day in log.skipped:
        return DayKind.SKIPPED
    if day in log.partial:
        return DayKind.PARTIAL
    if not log.planned(day):
        return DayKind.REST
    if day == log.today:
        return DayKind.OPEN
    if log.is_weekly(day):
        tally = log._tallies.get(day)
        if tally is not None and tally.met:
            return DayKind.REST
    return DayKind.MISSED


def week_adherence(log: PracticeLog, monday: date) -> tuple[int, int]:
    """(practice days, days due) in the Monday..Sunday week from `monday`, joining day to today.

    Due follows the plan in force each day (every day in daily phases, the chosen
    weekdays in maintenance); excused days are not due, and today is due only once
    done (it is not over). Practice beyond the plan counts, so done may exceed due.
    """
    done = due = 0
    for i in range(7):
        day = monday + timedelta(days=i)
        if day < log.joined or day > log.today:
            continue
        practised = day in log.done
        done += practised
        if log.planned(day) and not log.excused(day) and (practised or day < log.today):
            due += 1
    return done, due


def days_done_in_phase(log: PracticeLog) -> int:
    """Practice days in the period in force today ("day N of 21" counts these)."""
    _, start, _ = log.period_of(log.today)
    return sum(1 for d in log.done if start <= d <= log.today)


class StreakUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"


@dataclass(frozen=True)
class PhaseStreak:
    """Days in a row in daily phases, weeks on plan in maintenance."""

    unit: StreakUnit
    current: int
    longest: int


def phase_streak(log: PracticeLog) -> PhaseStreak:
    """The streak that fits today's phase.

    Days: practice days in a row; a day skipped with a reason, a paused day and
    today before it is over neither count nor break the run; a missed day, a
    session ended short, or a maintenance rest day end it. Weeks: maintenance weeks
    on plan in a row in the current maintenance period (see `WeekTally`); the week
    in progress counts once on plan and never breaks the run; a neutral week
    bridges. `longest` is over the whole history (weeks: every maintenance period).
    """
    if log.is_weekly(log.today):
        return _week_streak(log)
    return _day_streak(log)


def _day_streak(log: PracticeLog) -> PhaseStreak:
    run = longest = 0
    for day in log.days():
        kind = day_kind(log, day)
        if kind is DayKind.DONE:
            run += 1
            longest = max(longest, run)
        elif kind not in _NEUTRAL_KINDS:
            run = 0
    return PhaseStreak(StreakUnit.DAYS, run, longest)


def _week_streak(log: PracticeLog) -> PhaseStreak:
    run = longest = 0
    previous_end: date | None = None
    for tally in maintenance_weeks(log):
        if previous_end is not None and tally.start != previous_end + _ONE_DAY:
            run = 0  # a stretch of daily practice in between starts a new count
        previous_end = tally.end
        if tally.met:
            run += 1
            longest = max(longest, run)
        elif not (tally.neutral or tally.current):
            run = 0
    return PhaseStreak(StreakUnit.WEEKS, run, longest)


def this_week(log: PracticeLog) -> WeekTally | None:
    """Today's maintenance week (its count starts when maintenance starts); None outside maintenance."""
    if not log.is_weekly(log.today):
        return None
    return log._tallies.get(log.today)


# --- the older date-list functions ----------------------------------------------------


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
