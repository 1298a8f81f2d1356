"""The /report PDF: one page, the user's own numbers, nothing of anyone else's."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from bot.domain.streaks import PracticeLog
from bot.domain.trends import SessionPain
from bot.i18n import Translator
from bot.report_pdf import Pause, PhaseChange, ReportData, SafetyAnswer, StoppedExercise, render_report_pdf

TODAY = date(2026, 6, 10)
EN = Translator("en")
QUESTION = "Weakness in one leg or foot that is getting worse?"


def flat(text: str) -> str:
    """Any run of whitespace (line breaks, Babel's narrow no-break spaces) as one space."""
    return re.sub(r"\s+", " ", text)


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), flat("\n".join(page.extract_text() for page in reader.pages))


def report(
    name: str,
    days: int,
    *,
    before: int,
    after: int,
    exercise: str = "Clam shell",
    stopped_on: date | None = None,
    pause: tuple[date, date] | None = None,
    yes_on: date | None = None,
) -> ReportData:
    """A user who practised every day but every 5th, rating `before` and `after` throughout."""
    joined = TODAY - timedelta(days=days - 1)
    maintenance = joined + timedelta(days=21) if days > 28 else None
    done = frozenset(joined + timedelta(days=i) for i in range(days - 1) if i % 5 != 4)
    periods = [("habit", joined)] + ([("maintenance", maintenance)] if maintenance else [])
    log = PracticeLog(TODAY, tuple(periods), done=done, pauses=(pause,) if pause else ())
    sessions = tuple(SessionPain(d, "completed", before, after) for d in sorted(done))
    changes = (
        (PhaseChange(maintenance, "checkin", "maintenance", "checkin_less_sore"),) if maintenance else ()
    )
    safety = (SafetyAnswer(joined, QUESTION, "doctor_today", False),)
    if yes_on:
        safety += (SafetyAnswer(yes_on, QUESTION, "doctor_today", True),)
    return ReportData(
        generated_on=TODAY,
        log=log,
        sessions=sessions,
        stopped=(StoppedExercise(stopped_on, exercise, "left"),) if stopped_on else (),
        safety=safety,
        pauses=(Pause(pause[0], pause[1], "doctor_today"),) if pause else (),
        phase_changes=changes,
        name=name,
    )


def test_report_is_one_page_with_the_users_numbers() -> None:
    data = report(
        "Alex",
        40,
        before=7,
        after=4,
        stopped_on=TODAY - timedelta(days=3),
        pause=(TODAY - timedelta(days=20), TODAY - timedelta(days=18)),
        yes_on=TODAY - timedelta(days=20),
    )
    pages, text = text_of(render_report_pdf(data, EN))
    assert pages == 1
    practice_days = len(data.log.done)
    assert "Alex" in text
    assert f"Sessions completed: {practice_days}" in text
    assert "first 7.0/10" in text and "first 4.0/10" in text  # before and after, apart
    assert "Clam shell: 1 time, last Jun 7, 2026 (left)" in text
    assert "May 21, 2026: YES (see a doctor today)" in text and QUESTION in text
    assert "May 21, 2026 to May 23, 2026: paused: see a doctor today" in text
    assert "Maintenance on chosen weekdays" in text and "Less sore at check-in" in text
    assert "Adherence by week" in text and "Jun 8, 2026" in text  # this week's row


def test_weekly_rows_match_the_log() -> None:
    # Joined on a Monday two weeks ago; practised Mon..Thu of the first week only.
    monday = TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=2)
    done = frozenset(monday + timedelta(days=i) for i in range(4))
    data = ReportData(TODAY, PracticeLog(TODAY, (("habit", monday),), done=done))
    _, text = text_of(render_report_pdf(data, EN))
    assert "May 25, 2026 4 7" in text  # week of: done, due
    assert "Jun 1, 2026 0 7" in text
    assert "Jun 8, 2026 0 2" in text  # Mon, Tue due; today not over yet
    assert "Adherence: 4 of 16 planned days (25%)" in text


def test_a_long_history_still_fits_on_one_page() -> None:
    data = report("Alex", 3 * 365, before=6, after=3, yes_on=TODAY - timedelta(days=400))
    many = ReportData(
        generated_on=TODAY,
        log=data.log,
        sessions=data.sessions,
        stopped=tuple(
            StoppedExercise(TODAY - timedelta(days=i), f"Exercise number {i % 9}", "both") for i in range(300)
        ),
        safety=data.safety
        + tuple(
            SafetyAnswer(TODAY - timedelta(days=3 * i), QUESTION * 3, "emergency", i % 7 == 0)
            for i in range(300)
        ),
        pauses=tuple(
            Pause(TODAY - timedelta(days=10 * i + 2), TODAY - timedelta(days=10 * i), "user")
            for i in range(80)
        ),
        phase_changes=tuple(
            PhaseChange(TODAY - timedelta(days=20 * i), "flare", "maintenance", "checkin_less_sore")
            for i in range(50)
        ),
        name="Alex",
    )
    pages, text = text_of(render_report_pdf(many, EN))
    assert pages == 1
    assert "earlier weeks" in text  # old weeks summed up, not listed
    assert "more (the full record is in /export)" in text
    assert "Exercise number 0: 34 times" in text  # the most frequent first
    assert "Pauses" in text and "Phase changes" in text  # later sections keep their room
    assert f"{EN.date(TODAY - timedelta(days=2))} to {EN.date(TODAY)}: paused by the user" in text


def test_nothing_from_another_user() -> None:
    alex = report("Alex", 30, before=6, after=2, exercise="Clam shell", stopped_on=TODAY - timedelta(days=2))
    zoe = report(
        "Zoe Quinterra",
        90,
        before=9,
        after=8,
        exercise="Hip rotator muscle-energy stretch",
        stopped_on=TODAY - timedelta(days=44),
        pause=(TODAY - timedelta(days=61), TODAY - timedelta(days=57)),
        yes_on=TODAY - timedelta(days=61),
    )
    _, alex_text = text_of(render_report_pdf(alex, EN))
    _, zoe_text = text_of(render_report_pdf(zoe, EN))
    zoe_only = ["Zoe Quinterra", "Hip rotator", "9.0/10", "8.0/10", EN.date(TODAY - timedelta(days=61))]
    assert all(value in zoe_text for value in zoe_only)  # distinctive in Zoe's report ...
    assert not [value for value in zoe_only if value in alex_text]  # ... and absent from Alex's
    assert "Alex" in alex_text and "Clam shell" in alex_text


@pytest.mark.parametrize("locale", ["de", "es", "ru"])
def test_renders_in_every_language(locale: str) -> None:
    tr = Translator(locale)
    data = report("Алёна", 40, before=6, after=3, yes_on=TODAY - timedelta(days=5))
    pages, text = text_of(render_report_pdf(data, tr))
    assert pages == 1
    assert "Алёна" in text  # the embedded font carries Cyrillic
    assert flat(tr.date(TODAY - timedelta(days=5))) in text
    assert tr.number(6.0, 1) in text  # "6,0" in de/es/ru


def test_a_brand_new_user_gets_a_sensible_page() -> None:
    data = ReportData(TODAY, PracticeLog(TODAY, (("habit", TODAY),)))
    pages, text = text_of(render_report_pdf(data, EN))
    assert pages == 1
    assert "Pain before sessions: no ratings yet" in text and "Not asked yet" in text
