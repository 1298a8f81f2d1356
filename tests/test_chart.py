"""Tests for the /progress picture (bot.chart)."""

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
from matplotlib.figure import Figure

from bot import chart
from bot.chart import (
    ChartData,
    PainPoint,
    has_data,
    render_progress_png,
    render_progress_png_async,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2025, 11, 26)  # a Wednesday: the current week is only partly in the past


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always follows the signature."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def user_with_history(days: int = 30) -> ChartData:
    """Practice most days, every 7th missed, every 10th only started; pain falls 7 -> 3."""
    practice: set[date] = set()
    partial: set[date] = set()
    pain: list[PainPoint] = []
    for i in range(days):
        day = TODAY - timedelta(days=days - 1 - i)  # i = 0 is the oldest day
        if i % 7 == 3:
            continue  # missed
        if i % 10 == 5:
            partial.add(day)
            pain.append(PainPoint(day, before=7 - round(4 * i / (days - 1)), after=None))
            continue
        practice.add(day)
        before = 7 - round(4 * i / (days - 1))
        pain.append(PainPoint(day, before=before, after=max(before - 2, 0)))
    pain.reverse()  # "any order"
    return ChartData(TODAY, frozenset(practice), frozenset(partial), tuple(pain))


def live_figures() -> int:
    gc.collect()
    return sum(isinstance(obj, Figure) for obj in gc.get_objects())


def test_month_of_history_renders_a_phone_sized_png() -> None:
    data = user_with_history(30)
    assert has_data(data)

    png = render_progress_png(data)

    assert png is not None
    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert 600 <= width <= 1600
    assert 600 <= height <= 1600
    assert height >= width  # portrait, for a phone screen
    assert 10_000 <= len(png) <= 600_000


def test_brand_new_user_gets_no_picture() -> None:
    data = ChartData(TODAY, frozenset(), frozenset(), ())

    assert not has_data(data)
    assert render_progress_png(data) is None


def test_pain_points_without_any_rating_do_not_count_as_data() -> None:
    data = ChartData(TODAY, frozenset(), frozenset(), (PainPoint(TODAY, None, None),))

    assert not has_data(data)
    assert render_progress_png(data) is None


def test_practice_without_pain_ratings_is_still_a_png() -> None:
    days = frozenset(TODAY - timedelta(days=i) for i in (0, 1, 3, 4, 8))
    data = ChartData(TODAY, days, frozenset({TODAY - timedelta(days=2)}), ())

    png = render_progress_png(data)

    assert png is not None
    assert png.startswith(PNG_SIGNATURE)
    assert 600 <= min(png_size(png))


def test_only_partial_sessions_and_odd_titles_render() -> None:
    # A started-but-unfinished first session is already worth a picture; "$" in a user's
    # name must not be parsed as mathtext.
    data = ChartData(
        TODAY,
        frozenset(),
        frozenset({TODAY}),
        (PainPoint(TODAY, 6, None),),
        title="Ann's $5 practice_1 ^2",
    )

    png = render_progress_png(data)

    assert png is not None and png.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("weeks", [1, 6, 12, 26])
def test_other_window_lengths_render(weeks: int) -> None:
    png = render_progress_png(user_with_history(200), weeks=weeks)

    assert png is not None and png.startswith(PNG_SIGNATURE)


def test_weeks_must_be_positive() -> None:
    with pytest.raises(ValueError):
        render_progress_png(user_with_history(), weeks=0)


def test_daily_means_average_sessions_and_respect_the_window() -> None:
    start = TODAY - timedelta(days=6)
    points = (
        PainPoint(TODAY, 6, 2),
        PainPoint(TODAY, 4, None),  # second session the same day
        PainPoint(TODAY, 12, -1),  # out-of-range input is clamped, not drawn off-chart
        PainPoint(start - timedelta(days=1), 9, 9),  # before the window
        PainPoint(TODAY + timedelta(days=1), 9, 9),  # "future" (clock skew)
    )

    before, after = chart._daily_means(points, start, TODAY)

    assert before == {TODAY: pytest.approx((6 + 4 + 10) / 3)}
    assert after == {TODAY: pytest.approx((2 + 0) / 2)}


async def test_async_render_runs_off_the_event_loop_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread = threading.get_ident()
    render_threads: list[int] = []
    real_render = chart.render_progress_png

    def recording_render(data: ChartData, weeks: int = 6) -> bytes | None:
        render_threads.append(threading.get_ident())
        return real_render(data, weeks)

    monkeypatch.setattr(chart, "render_progress_png", recording_render)
    data = user_with_history(30)

    png = await render_progress_png_async(data)

    assert png is not None and png.startswith(PNG_SIGNATURE)
    assert png_size(png) == png_size(real_render(data) or b"")
    assert render_threads and all(t != loop_thread for t in render_threads)
    assert await render_progress_png_async(ChartData(TODAY, frozenset(), frozenset(), ())) is None


async def test_concurrent_async_renders_all_succeed() -> None:
    data = user_with_history(30)

    results = await asyncio.gather(*(render_progress_png_async(data) for _ in range(4)))

    assert all(r is not None and r.startswith(PNG_SIGNATURE) for r in results)
    assert len({r for r in results}) == 1  # deterministic, no cross-talk between threads


def test_repeated_renders_do_not_leak_figures() -> None:
    data = user_with_history(30)
    render_progress_png(data)  # warm caches (fonts, glyph paths)
    before = live_figures()

    for _ in range(20):
        render_progress_png(data)

    assert live_figures() <= before


def test_never_imports_pyplot() -> None:
    # pyplot registers figures globally and may pick a GUI backend; the module must not need it.
    code = (
        "import sys, datetime as dt\n"
        "from bot.chart import ChartData, render_progress_png\n"
        "d = dt.date(2025, 11, 26)\n"
        "assert render_progress_png(ChartData(d, frozenset({d}), frozenset(), ()))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=Path(__file__).parents[1])
