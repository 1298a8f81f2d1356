"""Habit strength (Loop-style score) over a PracticeLog."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import pytest

from bot.domain.habit_strength import checkmark, habit_strength, multiplier, strength_series
from bot.domain.streaks import PracticeLog

MON = date(2026, 6, 1)
M_DAILY = 0.5 ** (1 / 13)


def d(offset: int) -> date:
    return MON + timedelta(days=offset)


def days(*offsets: int) -> frozenset[date]:
    return frozenset(d(o) for o in offsets)


def test_multiplier_is_loops_formula() -> None:
    assert multiplier(1.0) == pytest.approx(M_DAILY)
    assert multiplier(4 / 7) == pytest.approx(0.5 ** (math.sqrt(4 / 7) / 13))
    with pytest.raises(ValueError):
        multiplier(0)


def test_hand_computed_daily_sequence() -> None:
    # done, done, missed, done, skipped (left out), done (today).
    log = PracticeLog(today=d(5), periods=(("habit", d(0)),), done=days(0, 1, 3, 5), skipped=days(4))
    m = M_DAILY
    s1 = 1 - m
    s2 = s1 * m + (1 - m)
    s3 = s2 * m  # the miss dents it ...
    s4 = s3 * m + (1 - m)  # ... a return recovers it
    s5 = s4  # a skip with a reason changes nothing
    s6 = s5 * m + (1 - m)
    expected = [s1, s2, s3, s4, s5, s6]
    assert [v for _, v in strength_series(log)] == pytest.approx(expected)
    assert habit_strength(log) == pytest.approx(s6)
    assert 0.0 < s3 < s2 and s4 > s3


def test_today_counts_only_once_done() -> None:
    log = PracticeLog(today=d(2), periods=(("habit", d(0)),), done=days(0, 1))
    s2 = (1 - M_DAILY) * M_DAILY + (1 - M_DAILY)
    assert habit_strength(log) == pytest.approx(s2)  # today open: as of yesterday
    done_today = PracticeLog(today=d(2), periods=log.periods, done=days(0, 1, 2))
    assert habit_strength(done_today) == pytest.approx(s2 * M_DAILY + 1 - M_DAILY)


def test_a_new_user_starts_at_zero_and_21_perfect_days_reach_about_two_thirds() -> None:
    assert habit_strength(PracticeLog(today=d(0), periods=(("habit", d(0)),))) == 0.0
    log = PracticeLog(today=d(20), periods=(("habit", d(0)),), done=days(*range(21)))
    assert habit_strength(log) == pytest.approx(1 - 0.5 ** (21 / 13))
    assert 0.6 < habit_strength(log) < 0.7


def test_one_missed_day_dents_but_never_zeroes() -> None:
    perfect = PracticeLog(today=d(29), periods=(("habit", d(0)),), done=days(*range(30)))
    one_miss = PracticeLog(today=d(29), periods=perfect.periods, done=perfect.done - days(20))
    assert habit_strength(perfect) * 0.9 < habit_strength(one_miss) < habit_strength(perfect)


def maintenance(today: int, done: frozenset[date], **kw: object) -> PracticeLog:
    """Daily for 28 days before MON, then maintenance on Mon/Wed/Fri/Sun from MON."""
    daily = frozenset(MON - timedelta(days=i) for i in range(1, 29))
    return PracticeLog(
        today=d(today),
        periods=(("habit", MON - timedelta(days=28)), ("maintenance", MON)),
        done=daily | done,
        weekdays=frozenset({0, 2, 4, 6}),
        **kw,  # type: ignore[arg-type]
    )


def test_maintenance_rest_days_are_not_misses() -> None:
    plan = days(*(w * 7 + i for w in range(4) for i in (0, 2, 4, 6)))
    log = maintenance(27, plan)
    series = dict(strength_series(log))
    values = [series[d(i)] for i in range(28)]
    # On plan: every day's checkmark is 1, so the score only rises, rest days included.
    assert all(checkmark(log, d(i)) == 1.0 for i in range(28))
    assert all(b > a for a, b in itertools.pairwise(values))
    # Practising Tue/Thu/Sat/Sun instead of the chosen days is just as good.
    swapped = maintenance(27, days(*(w * 7 + i for w in range(4) for i in (1, 3, 5, 6))))
    assert habit_strength(swapped) == pytest.approx(habit_strength(log))


def test_score_is_frequency_aware() -> None:
    m4 = multiplier(4 / 7)
    assert M_DAILY < m4 < 1  # a 4-a-week habit forgets more slowly per day
    plan = days(*(w * 7 + i for w in range(4) for i in (0, 2, 4, 6)))
    on_plan = maintenance(27, plan)
    missed = maintenance(27, plan - days(14))  # one planned Monday missed
    # The miss lowers the next 7 days' checkmarks to 3/4 each, at the 4-a-week multiplier.
    assert [checkmark(missed, d(i)) for i in range(14, 21)] == [0.75] * 7
    assert checkmark(missed, d(21)) == 1.0
    s13 = dict(strength_series(missed))[d(13)]
    expected = s13
    for _ in range(7):
        expected = expected * m4 + 0.75 * (1 - m4)
    assert dict(strength_series(missed))[d(20)] == pytest.approx(expected)
    assert habit_strength(missed) < habit_strength(on_plan)


def test_skipped_planned_day_in_maintenance_lowers_the_need() -> None:
    plan = days(0, 2, 4, 6, 7, 9, 11)
    log = maintenance(13, plan, skipped=days(13))
    assert checkmark(log, d(13)) == 1.0  # 3 done against a need of 4 - 1 skipped
    assert checkmark(maintenance(13, plan), d(12)) == 1.0  # Saturday: 7..12 holds 3, plus Sun 6
