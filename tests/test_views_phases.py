"""The words for the habit schedule: every key, its values, and no scolding."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.phases import Line, WeekProgress
from bot.domain.symptoms import SixWeeks
from bot.i18n import Translator
from bot.views.phases import (
    PhaseFacts,
    checkin_buttons,
    flare_button,
    flare_offer_buttons,
    has_checkin_buttons,
    render,
    render_line,
)
from tests.pseudo import Pseudo

EN = Translator("en")
FRI = date(2027, 3, 26)
FULL = PhaseFacts(
    day=5,
    counted=4,
    week=WeekProgress(date(2027, 3, 29), 1, 4, False),
    weeks_on_target=2,
    checkin_on=date(2027, 4, 9),
    next_day=date(2027, 4, 2),
    weekdays=(0, 2, 4, 6),
    six_weeks=SixWeeks(6, 5.5, False),
)


@pytest.mark.parametrize("line", list(Line))
def test_every_line_has_words_through_the_translator(line: Line) -> None:
    text = render_line(EN, line, FULL)
    assert text.strip()
    assert "{" not in text and "}" not in text
    marked = render_line(Pseudo(), line, FULL)
    assert marked.startswith("⟦") and marked.endswith("⟧"), marked


@pytest.mark.parametrize("line", list(Line))
def test_no_line_scolds(line: Line) -> None:
    lowered = render_line(EN, line, FULL).lower()
    for word in ("fail", "missed", "should have", "lazy", "must", "don't forget", "streak is broken"):
        assert word not in lowered


@pytest.mark.parametrize(
    ("line", "needs"),
    [
        (Line.REMINDER_HABIT, "day"),
        (Line.HEADER_HABIT, "day"),
        (Line.REMINDER_MAINTENANCE, "week"),
        (Line.ANNOUNCE_STILL_SORE, "checkin_on"),
        (Line.NEXT_REST_DAY, "next_day"),
        (Line.SIX_WEEK_ADVICE, "six_weeks"),
        (Line.LESS_SORE_WITH_SIX_WEEK, "six_weeks"),
    ],
)
def test_a_missing_value_is_a_caller_bug(line: Line, needs: str) -> None:
    with pytest.raises(ValueError, match=needs):
        render_line(EN, line, PhaseFacts())


def test_habit_lines_say_day_n_of_21() -> None:
    assert render_line(EN, Line.REMINDER_HABIT, FULL).startswith("Time to stretch 🧘 Day 5 of 21.")
    assert render_line(EN, Line.SESSION_END_HABIT, FULL) == "Day 5 of 21 done. 🎉"
    assert "day 5 of 21" in render_line(EN, Line.NEXT_HABIT, FULL)
    assert (
        render_line(EN, Line.HEADER_HABIT, FULL)
        == "🌱 Building the habit: day 5 of 21 (4 days counted so far)."
    )
    one = PhaseFacts(day=1, counted=1)
    assert "(1 day counted so far)" in render_line(EN, Line.HEADER_HABIT, one)


def test_week_lines_say_this_week_x_of_y() -> None:
    assert render_line(EN, Line.REMINDER_MAINTENANCE, FULL).endswith("This week: 1 of 4 so far.")
    assert render_line(EN, Line.SESSION_END_MAINTENANCE, FULL) == "Done. This week: 1 of 4."
    header = render_line(EN, Line.HEADER_MAINTENANCE, FULL)
    assert header == "🌳 Maintenance: 1 of 4 sessions this week; 2 weeks in a row on target."
    one = PhaseFacts(week=FULL.week, weeks_on_target=1)
    assert "1 week in a row" in render_line(EN, Line.HEADER_MAINTENANCE, one)


def test_the_first_partial_week_says_how_it_is_counted() -> None:
    first = PhaseFacts(week=WeekProgress(FRI, 1, 2, True))
    assert "first maintenance week counts from Friday: 1 of 2" in render_line(
        EN, Line.REMINDER_MAINTENANCE, first
    )
    assert "counts from Friday" in render_line(EN, Line.SESSION_END_MAINTENANCE, first)
    header = render_line(EN, Line.HEADER_MAINTENANCE, first)
    assert "Maintenance since Mar 26, 2027" in header and "1 of 2" in header
    empty = PhaseFacts(week=WeekProgress(FRI, 0, 0, True))
    assert "first full week starts on Monday" in render_line(EN, Line.HEADER_MAINTENANCE, empty)


def test_a_met_target_is_said_so() -> None:
    met = PhaseFacts(week=WeekProgress(FRI, 2, 2, True))
    assert (
        render_line(EN, Line.SESSION_END_MAINTENANCE, met) == "Done. That's 2 of 2 this week: target met. 🎉"
    )


def test_next_stretch_day_by_name() -> None:
    assert (
        render_line(EN, Line.NEXT_REST_DAY, FULL) == "Today is a rest day. Your next stretch day is Friday."
    )


def test_less_sore_names_the_days_and_how_the_first_week_counts() -> None:
    text = render_line(EN, Line.ANNOUNCE_LESS_SORE, FULL)
    assert "Monday, Wednesday, Friday, and Sunday" in text and "/settings" in text
    assert "counts from today" not in text  # FULL is a whole week
    first = PhaseFacts(weekdays=(0, 2, 4, 6), week=WeekProgress(FRI, 1, 2, True))
    assert render_line(EN, Line.ANNOUNCE_LESS_SORE, first).endswith(
        "This week counts from today: 2 sessions to aim for."
    )
    none_left = PhaseFacts(week=WeekProgress(FRI, 0, 0, True))
    assert render_line(EN, Line.ANNOUNCE_LESS_SORE, none_left).endswith(
        "Your first full week starts on Monday."
    )


def test_less_sore_with_six_week_is_one_coherent_message() -> None:
    text = render(EN, [Line.LESS_SORE_WITH_SIX_WEEK], FULL)
    assert text.startswith("Glad to hear it.")
    assert "suggestion" in text and "6 at the start, around 5.5 lately" in text
    assert text.count("six weeks") == 1
    assert "could still be worth seeing" in text  # a suggestion, not an order


def test_six_week_in_progress_after_less_sore_acknowledges_the_user() -> None:
    text = render_line(EN, Line.SIX_WEEK_DESPITE_LESS_SORE, FULL)
    assert text.startswith("You've told me your back feels less sore")
    assert "could still be worth seeing" in text


def test_unanswered_default_is_explained() -> None:
    text = render_line(EN, Line.ANNOUNCE_CHECKIN_UNANSWERED, FULL)
    assert "daily" in text and "Apr 9, 2027" in text and "buttons" in text


def test_reported_flare_and_accepted_offer_read_differently() -> None:
    reported = render_line(EN, Line.ANNOUNCE_FLARE_REPORTED, FULL)
    accepted = render_line(EN, Line.ANNOUNCE_FLARE_ACCEPTED, FULL)
    offer = render_line(EN, Line.FLARE_OFFER, FULL)
    assert reported != accepted
    assert "?" in offer and "?" not in reported


def test_render_joins_paragraphs() -> None:
    lines = [Line.REMINDER_DAILY, Line.CHECKIN_QUESTION]
    assert render(EN, lines) == (
        "Time for today's stretches 🧘 About 15 minutes on your mat.\n\n"
        "Does your low back feel less sore than when you started?"
    )
    assert has_checkin_buttons(lines)
    assert not has_checkin_buttons([Line.REMINDER_DAILY])
    assert render(EN, []) == ""


def test_buttons() -> None:
    assert checkin_buttons(EN) == ("Yes, less sore", "Still sore")
    assert len(flare_offer_buttons(EN)) == 2
    assert "Flare-up" in flare_button(EN)
