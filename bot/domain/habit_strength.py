"""Habit strength: a 0..1 score in the style of Loop Habit Tracker, over a `PracticeLog`.

Why a score and not only a streak: a streak drops to zero after one missed day,
which reads as failure; this score is dented by a miss and recovers with practice,
so a missed day is "pick up tomorrow", not "start again".

The formula (Loop's `Score.compute`, applied once per local day from joining day on,
starting at 0)::

    multiplier = 0.5 ** (sqrt(frequency) / 13)
    score      = score * multiplier + checkmark * (1 - multiplier)

`frequency` is planned sessions per day for the phase in force that day: 1 in the
daily phases (habit, check-in, daily), weekly_target / 7 in maintenance. So a daily
habit halves the weight of old days every 13 days, and a 4-a-week habit every
13 / sqrt(4/7) ~ 17 days: a less frequent habit remembers longer, as in Loop.

The checkmark, adapted to this plan:

- Daily phases: 1 if a session was completed that day, 0 if not. A day skipped with
  a reason or paused gives no checkmark: the day is left out (score unchanged), so it
  is neither practice nor a miss. (Loop has no "skip"; it would count a 0.)
- Maintenance: Loop scores a non-daily habit by the share of its target met over a
  rolling window (it uses twice the period to smooth irregular weekdays). We use one
  7-day window ending that day: checkmark = min(1, practice days in the window / need),
  need = weekly_target * window days / 7 - planned weekdays in the window that were
  skipped with a reason or paused. A 7-day window holds each weekday exactly once,
  so a user on plan scores 1 every day, rest days included, whichever days they
  practise; a missed planned day lowers the next 7 checkmarks by up to 1/target. When
  need <= 0 (everything excused) the day is left out. The window never reaches
  before joining (it is shortened and `need` prorated).
- Today is scored once today's session is done; until then the score stands as of
  yesterday (the day is not over, so it cannot be a miss yet).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from bot.domain.streaks import PracticeLog

__all__ = [
    "HALF_LIFE_SCALE",
    "checkmark",
    "frequency_on",
    "habit_strength",
    "multiplier",
    "strength_series",
]

HALF_LIFE_SCALE = 13.0  # Loop's constant: a daily habit's half-life in days
_WINDOW_DAYS = 7


def multiplier(frequency: float) -> float:
    """Loop's per-day smoothing multiplier for `frequency` planned sessions per day (0 < f <= 1)."""
    if not 0 < frequency <= 1:
        raise ValueError(f"frequency must be in (0, 1] sessions a day, got {frequency}")
    return float(0.5 ** (math.sqrt(frequency) / HALF_LIFE_SCALE))


def frequency_on(log: PracticeLog, day: date) -> float:
    """Planned sessions per day on `day`: 1 in daily phases, target / 7 in maintenance."""
    return log.weekly_target / 7 if log.is_weekly(day) else 1.0


def checkmark(log: PracticeLog, day: date) -> float | None:
    """The day's value in 0..1, or None when the day is left out (see the module docstring)."""
    if not log.is_weekly(day):
        if day in log.done:
            return 1.0
        return None if log.excused(day) else 0.0
    first = max(log.joined, day - timedelta(days=_WINDOW_DAYS - 1))
    window = [first + timedelta(days=i) for i in range((day - first).days + 1)]
    done = sum(1 for d in window if d in log.done)
    excused = sum(1 for d in window if d.weekday() in log.weekdays and log.excused(d))
    need = log.weekly_target * len(window) / _WINDOW_DAYS - excused
    if need <= 0:
        return None
    return min(1.0, done / need)


def strength_series(log: PracticeLog) -> tuple[tuple[date, float], ...]:
    """The score at the end of every day from joining to today (today: as of yesterday until done)."""
    score = 0.0
    series: list[tuple[date, float]] = []
    for day in log.days():
        if day == log.today and day not in log.done:
            series.append((day, score))
            break
        value = checkmark(log, day)
        if value is not None:
            m = multiplier(frequency_on(log, day))
            score = score * m + value * (1 - m)
        series.append((day, score))
    return tuple(series)


def habit_strength(log: PracticeLog) -> float:
    """Today's habit strength, 0..1 (0 for a user who joined today and has not practised yet)."""
    series = strength_series(log)
    return series[-1][1] if series else 0.0
