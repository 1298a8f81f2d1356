"""The /progress picture: its layout inspected as data, and its rendering."""

from __future__ import annotations

import asyncio
import gc
import struct
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.chart import (
    DAILY_MAX_WEEKS,
    WEEK_COLUMNS,
    Cell,
    ChartData,
    WeekKind,
    has_data,
    progress_layout,
    render_progress_png,
    render_progress_png_async,
)
from bot.domain.streaks import DayKind, PracticeLog
from bot.domain.trends import SessionPain
from bot.i18n import Translator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 6, 10)  # a Wednesday
EN = Translator("en")


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def cells_by_day(data: ChartData) -> dict[date, Cell]:
    return {c.start: c for c in progress_layout(data, EN).calendar.cells}


def day_one() -> ChartData:
    log = PracticeLog(TODAY, (("habit", TODAY),), done=frozenset({TODAY}))
    return ChartData(log, (SessionPain(TODAY, "completed", 6, 4),))


def day_thirty() -> ChartData:
    """Joined 29 days ago (a Tuesday); practised daily except a miss, a skip and a short session."""
    joined = TODAY - timedelta(days=29)
    missed, skipped, short = TODAY - timedelta(days=20), TODAY - timedelta(days=10), TODAY - timedelta(days=5)
    done = {joined + timedelta(days=i) for i in range(29)} - {missed, skipped, short}
    pain = [SessionPain(d, "completed", 6, 4) for d in sorted(done)]
    pain.append(SessionPain(short, "incomplete", 7, None))
    pain.append(SessionPain(TODAY - timedelta(days=3), "abandoned", 1, 1))  # never drawn
    unrated = TODAY - timedelta(days=2)
    pain = [p for p in pain if p.day != unrated]
    log = PracticeLog(
        TODAY,
        (("habit", joined),),
        done=frozenset(done),
        partial=frozenset({short}),
        skipped=frozenset({skipped}),
    )
    return ChartData(log, tuple(pain))


def maintenance_user() -> ChartData:
    """21 habit days, then maintenance on Mon/Wed/Fri/Sun from four weeks ago Monday."""
    start = TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=4)
    joined = start - timedelta(days=21)
    done = {joined + timedelta(days=i) for i in range(21)}
    for week in range(4):
        monday = start + timedelta(weeks=week)
        planned = [0, 2, 4, 6] if week != 2 else [0, 2]  # week 3: 2 of 4
        done |= {monday + timedelta(days=i) for i in planned}
    done.add(TODAY - timedelta(days=2))  # this Monday
    log = PracticeLog(TODAY, (("habit", joined), ("maintenance", start)), done=frozenset(done))
    return ChartData(log, ())


# --- layout ------------------------------------------------------------------------------------


def test_day_one_shows_one_week_with_the_days_before_joining_blank() -> None:
    layout = progress_layout(day_one(), EN)
    cal = layout.calendar
    assert (cal.mode, cal.rows, cal.columns) == ("days", 1, 7)
    kinds = {c.start.weekday(): c.kind for c in cal.cells}
    assert 0 not in kinds and 1 not in kinds  # Monday and Tuesday: before joining, no cell at all
    assert kinds[2] == DayKind.DONE and [kinds[i] for i in range(3, 7)] == [DayKind.FUTURE] * 4
    assert [c.start for c in cal.cells if c.today] == [TODAY]
    assert cal.title == "1 practice day since Jun 10, 2026"
    assert [k for k, _ in cal.legend] == [DayKind.DONE]
    assert layout.lines.slots == 1 and layout.lines.before == (6.0,) and layout.lines.after == (4.0,)


def test_day_thirty_draws_each_day_as_what_it_was() -> None:
    data = day_thirty()
    cells = cells_by_day(data)
    joined = data.log.joined
    assert min(cells) == joined  # the Monday before joining has no cell
    assert joined - timedelta(days=1) not in cells
    assert cells[TODAY - timedelta(days=20)].kind == DayKind.MISSED
    assert cells[TODAY - timedelta(days=10)].kind == DayKind.SKIPPED
    assert cells[TODAY - timedelta(days=5)].kind == DayKind.PARTIAL
    assert cells[TODAY].kind == DayKind.OPEN and cells[TODAY].today
    assert cells[TODAY + timedelta(days=1)].kind == DayKind.FUTURE
    assert sum(c.kind == DayKind.DONE for c in cells.values()) == 26
    cal = progress_layout(data, EN).calendar
    assert cal.rows == 5 and cal.title.startswith("26 practice days since")
    assert cal.row_labels[0] == "11 May"


def test_pain_lines_break_at_unrated_days_and_leave_out_abandoned_sessions() -> None:
    data = day_thirty()
    lines = progress_layout(data, EN).lines
    days = [data.log.joined + timedelta(days=i) for i in range(lines.slots)]
    assert lines.slots == 30 and days[-1] == TODAY
    before = dict(zip(days, lines.before, strict=True))
    after = dict(zip(days, lines.after, strict=True))
    assert before[TODAY - timedelta(days=20)] is None  # missed: a gap, not a bridge
    assert before[TODAY - timedelta(days=2)] is None  # practised but unrated
    assert before[TODAY - timedelta(days=3)] == 6.0  # the abandoned session's 1 is not drawn
    assert (before[TODAY - timedelta(days=5)], after[TODAY - timedelta(days=5)]) == (7.0, None)
    assert before[TODAY] is None
    strength = [s for s in lines.strength if s is not None]
    assert len(strength) == 30 and 0 < strength[-1] < 1


def test_maintenance_rest_days_are_rest_and_misses_only_in_a_week_under_plan() -> None:
    data = maintenance_user()
    cells = cells_by_day(data)
    start = data.log.periods[1][1]
    week1 = [cells[start + timedelta(days=i)].kind for i in range(7)]
    assert week1 == [DayKind.DONE, DayKind.REST] * 3 + [DayKind.DONE]
    week3 = [cells[start + timedelta(weeks=2, days=i)].kind for i in range(7)]
    assert week3[4] == DayKind.MISSED and week3[6] == DayKind.MISSED  # 2 of 4 that week
    assert week3[1] == DayKind.REST and week3[5] == DayKind.REST
    assert cells[TODAY].kind == DayKind.OPEN  # planned Wednesday, not over yet
    assert cells[TODAY - timedelta(days=1)].kind == DayKind.REST
    legend = dict(progress_layout(data, EN).calendar.legend)
    assert legend[DayKind.REST] == "Rest day" and legend[DayKind.MISSED] == "Not done"


def test_long_history_switches_to_weekly_cells() -> None:
    joined = TODAY - timedelta(weeks=40)
    maintenance = joined + timedelta(weeks=4)
    done = {joined + timedelta(days=i) for i in range(28)}
    day = maintenance
    while day < TODAY:
        if day.weekday() in (0, 2, 4, 6) and not (
            TODAY - timedelta(weeks=10) <= day < TODAY - timedelta(weeks=9)
        ):
            done.add(day)
        day += timedelta(days=1)
    log = PracticeLog(TODAY, (("habit", joined), ("maintenance", maintenance)), done=frozenset(done))
    pain = tuple(SessionPain(d, "completed", 5, 3) for d in sorted(done) if d.weekday() == 0)
    layout = progress_layout(ChartData(log, pain), EN)
    cal = layout.calendar
    weeks = (
        TODAY - timedelta(days=TODAY.weekday()) - (joined - timedelta(days=joined.weekday()))
    ).days // 7 + 1
    assert weeks > DAILY_MAX_WEEKS
    assert (cal.mode, cal.columns, len(cal.cells)) == ("weeks", WEEK_COLUMNS, weeks)
    assert cal.rows == -(-weeks // WEEK_COLUMNS)
    by_week = {c.start: c for c in cal.cells}
    gap_monday = TODAY - timedelta(weeks=10) - timedelta(days=TODAY.weekday())
    gap = by_week[gap_monday] if gap_monday in by_week else by_week[gap_monday + timedelta(weeks=1)]
    assert gap.kind in (WeekKind.NONE, WeekKind.SOME) and gap.fill < 1
    assert (
        by_week[maintenance - timedelta(days=maintenance.weekday()) + timedelta(weeks=2)].kind
        == WeekKind.ON_PLAN
    )
    assert next(c for c in cal.cells if c.today).start == TODAY - timedelta(days=TODAY.weekday())
    lines = layout.lines
    assert lines.slots == weeks and lines.before[-2] == 5.0
    assert len(cal.row_labels) == cal.rows and cal.row_labels[0].endswith(str(joined.year))


@pytest.mark.parametrize("locale", ["de", "ru", "es"])
def test_labels_are_in_the_users_language(locale: str) -> None:
    tr = Translator(locale)
    layout = progress_layout(day_thirty(), tr)
    assert layout.calendar.column_labels == tuple(tr.weekday(i, "short") for i in range(7))
    assert layout.calendar.column_labels != progress_layout(day_thirty(), EN).calendar.column_labels
    may = tr.date(date(2026, 5, 11), tr.p_("date pattern", "d MMM"))
    assert layout.calendar.row_labels[0] == may
    assert layout.lines.percent_labels == (tr.percent(0), tr.percent(0.5), tr.percent(1))
    if locale == "ru":
        assert any("\u0400" <= ch <= "\u04ff" for ch in layout.calendar.row_labels[0])


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "de", "ru"])
@pytest.mark.parametrize("make", [day_one, day_thirty, maintenance_user])
def test_renders_a_phone_sized_png(locale: str, make: object) -> None:
    data = make()  # type: ignore[operator]
    png = render_progress_png(data, Translator(locale))
    assert png is not None
    width, height = png_size(png)
    assert width == 800 and 600 <= height <= 1400


def test_languages_render_differently() -> None:
    pngs = {loc: render_progress_png(day_thirty(), Translator(loc)) for loc in ("en", "de", "ru")}
    assert len(set(pngs.values())) == 3


def test_brand_new_user_gets_no_picture() -> None:
    log = PracticeLog(TODAY, (("habit", TODAY),))
    data = ChartData(log, (SessionPain(TODAY, "abandoned", 5, None),))  # an abandoned rating is nothing
    assert not has_data(data)
    assert render_progress_png(data, EN) is None


async def test_async_render_runs_off_the_event_loop_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import chart

    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = chart.render_progress_png

    def recording(data: ChartData, tr: Translator) -> bytes | None:
        threads.append(threading.get_ident())
        return real(data, tr)

    monkeypatch.setattr(chart, "render_progress_png", recording)
    png = await render_progress_png_async(day_thirty(), EN)
    assert png is not None and png.startswith(PNG_SIGNATURE)
    assert threads and all(t != loop_thread for t in threads)


async def test_concurrent_renders_agree() -> None:
    # No global lock: each render owns its figure; parallel renders must not interfere.
    data = maintenance_user()
    results = await asyncio.gather(*(render_progress_png_async(data, EN) for _ in range(4)))
    assert len(set(results)) == 1 and results[0] is not None


def test_repeated_renders_do_not_leak_figures() -> None:
    from matplotlib.figure import Figure

    def live() -> int:
        gc.collect()
        return sum(isinstance(o, Figure) for o in gc.get_objects())

    render_progress_png(day_thirty(), EN)
    before = live()
    for _ in range(10):
        render_progress_png(day_thirty(), EN)
    assert live() <= before


def test_import_is_light_and_pyplot_is_never_used() -> None:
    code = (
        "import sys, datetime as dt\n"
        "import bot.chart\n"
        "assert 'matplotlib' not in sys.modules, 'bot.chart imported matplotlib at import time'\n"
        "from bot.chart import ChartData, render_progress_png\n"
        "from bot.domain.streaks import PracticeLog\n"
        "from bot.i18n import Translator\n"
        "d = dt.date(2026, 6, 10)\n"
        "data = ChartData(PracticeLog(d, (('habit', d),), frozenset({d})))\n"
        "assert render_progress_png(data, Translator('en'))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=Path(__file__).parents[1])


def test_a_today_before_the_joining_day_still_draws() -> None:
    # A zone change westwards right after joining can make "today" the day before.
    log = PracticeLog(
        TODAY - timedelta(days=1), (("habit", TODAY),), done=frozenset({TODAY - timedelta(days=1)})
    )
    layout = progress_layout(ChartData(log), EN)
    assert layout.calendar.rows == 1 and layout.lines.slots == 1
    assert render_progress_png(ChartData(log), EN) is not None
