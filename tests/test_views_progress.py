"""The /progress lines for habit strength, streaks, the week count, sessions and pain."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.domain.streaks import PhaseStreak, PracticeLog, StreakUnit, WeekTally, this_week
from bot.domain.trends import series_trend
from bot.i18n import Translator
from bot.views.progress import (
    habit_day_line,
    habit_strength_line,
    pain_line,
    sessions_line,
    streak_line,
    week_line,
)

EN = Translator("en")
TODAY = date(2026, 6, 10)  # a Wednesday


class Marking(Translator):
    """Wraps everything the catalog returns, so a test sees any word that bypassed it."""

    def _(self, msgid: str, /, **params: Any) -> str:
        return "«" + super()._(msgid, **params) + "»"

    def n_(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        return "«" + super().n_(singular, plural, n, **params) + "»"


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_habit_strength_line() -> None:
    assert habit_strength_line(EN, 0.724) == (
        "💪 Habit strength: 72%. Every session builds it; a day off only dents it."
    )
    assert "72\u00a0%" in habit_strength_line(Translator("de"), 0.724)  # German spacing, from Babel


def test_habit_day_line_says_the_day_once() -> None:
    assert habit_day_line(EN, 0, done_today=False) == "🌱 Day 1 of 21: today's session counts towards it."
    assert habit_day_line(EN, 1, done_today=True) == "🌱 Day 1 of 21 done."
    assert habit_day_line(EN, 7, done_today=False) == "🌱 Day 8 of 21: today's session counts towards it."
    assert habit_day_line(EN, 21, done_today=True) == "🌱 All 21 habit days done."
    assert "counted so far" not in habit_day_line(EN, 1, done_today=True)


def test_streak_lines_per_phase() -> None:
    assert streak_line(EN, PhaseStreak(StreakUnit.DAYS, 1, 1)) == "🔥 1 day in a row."
    assert streak_line(EN, PhaseStreak(StreakUnit.DAYS, 4, 9)) == "🔥 4 days in a row (best so far: 9 days)."
    assert streak_line(EN, PhaseStreak(StreakUnit.DAYS, 0, 3)) == (
        "🔥 A new run starts with your next session (best so far: 3 days)."
    )
    assert streak_line(EN, PhaseStreak(StreakUnit.DAYS, 0, 0)) is None
    assert streak_line(EN, PhaseStreak(StreakUnit.WEEKS, 3, 3)) == "🔥 3 weeks in a row on plan."
    assert streak_line(EN, PhaseStreak(StreakUnit.WEEKS, 0, 2)) == (
        "🔥 A new run of weeks on plan starts this week (best so far: 2 weeks)."
    )


def test_week_line_in_maintenance() -> None:
    monday = ago(2)
    assert week_line(EN, None) is None
    assert week_line(EN, WeekTally(monday, ago(-4), 1, 4, 0, True)) == "🗓 This week: 1 of 4 sessions."
    assert (
        week_line(EN, WeekTally(monday, ago(-4), 4, 4, 0, True)) == "🗓 This week: 4 of 4 sessions, on plan ✓"
    )
    skipped = week_line(EN, WeekTally(monday, ago(-4), 2, 4, 1, True))
    assert skipped == (
        "🗓 This week: 2 of 3 sessions. "
        "1 planned day you skipped with a reason or paused doesn't count against you."
    )


def test_week_line_says_the_prorated_first_week_plainly() -> None:
    # Maintenance began this Friday... seen from a log, so the numbers are the domain's.
    friday = date(2026, 6, 12)
    log = PracticeLog(
        friday, (("habit", friday - timedelta(days=25)), ("maintenance", friday)), done=frozenset()
    )
    assert week_line(EN, this_week(log)) == (
        "🗓 This week: 0 of 2 sessions. Your first maintenance week counts from Friday, "
        "so it only has the planned days from then on."
    )
    saturday = PracticeLog(
        date(2026, 6, 13),
        (("habit", friday - timedelta(days=25)), ("maintenance", date(2026, 6, 13))),
        weekdays=frozenset({0, 1, 2, 3}),
    )
    assert week_line(EN, this_week(saturday)) == (
        "🗓 Maintenance began on Saturday, after this week's planned days; your weekly count starts on Monday."
    )


def test_sessions_line() -> None:
    assert sessions_line(EN, 1) == "✅ 1 session completed"
    assert sessions_line(EN, 12) == "✅ 12 sessions completed"


def test_pain_lines_use_the_meaningful_difference() -> None:
    better = series_trend([(ago(30), 7), (ago(1), 5), (TODAY, 4)], TODAY)
    assert pain_line(EN, better, "before") == (
        "📉 Pain before sessions: 7.0 → 4.5/10 over the last 7 days, down 2.5: a meaningful improvement 🎉"
    )
    small = series_trend([(ago(30), 8), (TODAY, 7)], TODAY)
    assert pain_line(EN, small, "after") == (
        "📉 Pain after sessions: 8.0 → 7.0/10 over the last 7 days, down 1.0. "
        "A clear change is about 2.0 points; keep going, it takes time."
    )
    worse = series_trend([(ago(30), 3), (TODAY, 5)], TODAY)
    assert pain_line(EN, worse, "before") == (
        "📈 Pain before sessions: 3.0 → 5.0/10 over the last 7 days, up 2.0. "
        "If it stays higher, mention it to your clinician."
    )
    same = series_trend([(ago(30), 5), (TODAY, 5)], TODAY)
    assert "about the same so far" in (pain_line(EN, same, "before") or "")


def test_pain_lines_before_there_is_a_trend() -> None:
    none = series_trend([], TODAY)
    assert pain_line(EN, none, "before") == (
        "📉 Pain before sessions: your ratings will show here after your first session."
    )
    assert pain_line(EN, none, "after") is None
    first = series_trend([(TODAY, 6)], TODAY)
    assert pain_line(EN, first, "before") == (
        "📉 Pain before sessions: first rating 6.0/10. The trend shows after a few more sessions."
    )
    stale = series_trend([(ago(30), 6), (ago(20), 5)], TODAY)
    assert (
        pain_line(EN, stale, "after")
        == "📉 Pain after sessions: first rating 6.0/10; no ratings in the last 7 days."
    )


@pytest.mark.parametrize(
    "line",
    [
        lambda tr: habit_strength_line(tr, 0.5),
        lambda tr: habit_day_line(tr, 3, False),
        lambda tr: streak_line(tr, PhaseStreak(StreakUnit.DAYS, 2, 5)),
        lambda tr: week_line(tr, WeekTally(ago(2), ago(-4), 2, 4, 1, True)),
        lambda tr: sessions_line(tr, 3),
        lambda tr: pain_line(tr, series_trend([(ago(30), 7), (TODAY, 4)], TODAY), "before"),
    ],
)
def test_every_word_goes_through_the_translator(line: Any) -> None:
    text = line(Marking("en"))
    assert text.startswith("«") and text.endswith("»")
