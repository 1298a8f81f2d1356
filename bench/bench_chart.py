"""Benchmark the /progress picture against a plain matplotlib plot of the same size.

Run from the repository root: ``.venv/bin/python bench/bench_chart.py [N] [--quick]``.

Issue 14's target: the picture's median render within 1.3x of a plain plot of the same
pixel size (Figure + FigureCanvasAgg, one ``ax.plot`` line, ``print_png`` with matplotlib's
defaults), measured in the same run, interleaved sample by sample so machine noise hits
both alike. Two users: 84 days (the largest day-by-day calendar, 12 weeks) and a year
(weekly cells). Also: what ``import bot.chart`` costs (it must not import matplotlib),
the first render in a fresh process (the lazy import), event-loop stalls with the async
render, and two threads rendering at once (there is no global render lock).

Numbers, not tests: nothing here asserts on timing.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without installing

from bot import chart  # noqa: E402
from bot.chart import ChartData, figure_size, progress_layout, render_progress_png, render_progress_png_async  # noqa: E402
from bot.domain.streaks import PracticeLog  # noqa: E402
from bot.domain.trends import SessionPain  # noqa: E402
from bot.i18n import Translator  # noqa: E402

TARGET_RATIO = 1.3
TICK_S = 0.010
TODAY = date(2026, 6, 10)


def user(days: int, maintenance_after: int | None = None, seed: int = 7) -> ChartData:
    """A realistic history: mostly practised, some misses, skips and short sessions, pain 7 -> 3."""
    rnd = random.Random(seed)
    joined = TODAY - timedelta(days=days - 1)
    periods = [("habit", joined)]
    if maintenance_after is not None:
        periods.append(("maintenance", joined + timedelta(days=maintenance_after)))
    done: set[date] = set()
    partial: set[date] = set()
    skipped: set[date] = set()
    pain: list[SessionPain] = []
    for i in range(days - 1):
        day = joined + timedelta(days=i)
        if maintenance_after is not None and i >= maintenance_after and day.weekday() not in (0, 2, 4, 6):
            continue
        roll = rnd.random()
        if roll < 0.08:
            continue
        if roll < 0.12:
            skipped.add(day)
            continue
        before = max(0, round(7 - 4 * i / days + rnd.uniform(-1, 1)))
        if roll < 0.17:
            partial.add(day)
            pain.append(SessionPain(day, "incomplete", before, None))
            continue
        done.add(day)
        pain.append(SessionPain(day, "completed", before if roll > 0.3 else None, max(0, before - 2)))
    log = PracticeLog(TODAY, tuple(periods), frozenset(done), frozenset(partial), frozenset(skipped))
    return ChartData(log, tuple(pain))


def plain_plot(size: tuple[float, float], points: int) -> Callable[[], bytes]:
    """The reference: the simplest matplotlib picture of the same size, drawn the same way (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ys = [5 + 3 * ((i * 7) % 11) / 11 for i in range(points)]

    def draw() -> bytes:
        fig = Figure(figsize=size, dpi=100)
        canvas = FigureCanvasAgg(fig)
        fig.add_subplot().plot(range(points), ys)
        buf = io.BytesIO()
        canvas.print_png(buf)
        return buf.getvalue()

    return draw


def interleaved(a: Callable[[], object], b: Callable[[], object], n: int) -> tuple[list[float], list[float]]:
    """n samples each of a and b in ms, alternating (which one goes first alternates too)."""
    a()
    b()  # warm-up: fonts, glyph caches
    ta: list[float] = []
    tb: list[float] = []
    for i in range(n):
        order = ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta))
        for fn, samples in order:
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
    return ta, tb


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def subprocess_ms(code: str) -> float:
    """Wall time of `code` in a fresh interpreter, measured inside it (start-up excluded)."""
    wrapped = f"import time; t0 = time.perf_counter()\n{code}\nprint((time.perf_counter() - t0) * 1000)"
    out = subprocess.run(
        [sys.executable, "-c", wrapped], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


async def max_tick_delay_ms(data: ChartData, tr: Translator, renders: int) -> float:
    """Worst lateness of a 10 ms ticker while `renders` async renders run."""
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(TICK_S)
            worst = max(worst, (time.perf_counter() - t0 - TICK_S) * 1000)

    task = asyncio.create_task(ticker())
    for _ in range(renders):
        await render_progress_png_async(data, tr)
    stop.set()
    await task
    return worst


def threaded_rate(data: ChartData, tr: Translator, threads: int, per_thread: int) -> float:
    """Pictures per second with `threads` threads rendering at once."""

    def work() -> None:
        for _ in range(per_thread):
            render_progress_png(data, tr)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return threads * per_thread / (time.perf_counter() - t0)


def main() -> None:
    quick = "--quick" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else (7 if quick else 31)
    tr = Translator("en")
    load = "load average {:.2f}/{:.2f}".format(*os.getloadavg()[:2])
    print(
        f"bench_chart: /progress picture vs a plain plot of the same size, {n} interleaved samples each; "
        + load
    )
    rows = []

    def cold(data: ChartData) -> bytes | None:
        chart._glyphs.cache_clear()  # every label's outline built afresh, as for a new user and day
        return render_progress_png(data, tr)

    cases = (
        ("80 days (12 weeks of daily cells)", user(80), render_progress_png),
        ("1 year (weekly cells)", user(365, 30), render_progress_png),
        ("80 days, label cache cleared", user(80), lambda d, _tr: cold(d)),
    )
    for name, data, render in cases:
        layout = progress_layout(data, tr)
        size = figure_size(layout)
        ours, plain = interleaved(lambda d=data, r=render: r(d, tr), plain_plot(size, 84), n)
        png = render_progress_png(data, tr) or b""
        ratio = statistics.median(ours) / statistics.median(plain)
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        rows.append(
            (
                name,
                f"{size[0] * 100:.0f}x{size[1] * 100:.0f}",
                f"{statistics.median(ours):.1f} / {percentile(ours, 95):.1f}",
                f"{statistics.median(plain):.1f} / {percentile(plain, 95):.1f}",
                f"{ratio:.2f}x ({verdict}: <= {TARGET_RATIO}x)",
                f"{len(png) / 1024:.0f} KB",
            )
        )
    headers = ("user", "px", "picture ms med/p95", "plain plot ms med/p95", "ratio", "PNG")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))

    data = user(80)
    import_ms = subprocess_ms("import sys, bot.chart\nassert 'matplotlib' not in sys.modules")
    first_ms = subprocess_ms(
        "from bench.bench_chart import user\nfrom bot.chart import render_progress_png\n"
        "from bot.i18n import Translator\nrender_progress_png(user(80), Translator('en'))"
    )
    stall = asyncio.run(max_tick_delay_ms(data, tr, renders=5))
    # The first render of a fresh process imports matplotlib: in the worker thread, not on the loop.
    first_stall = float(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import asyncio\nfrom bench.bench_chart import user, max_tick_delay_ms\n"
                "from bot.i18n import Translator\n"
                "print(asyncio.run(max_tick_delay_ms(user(80), Translator('en'), renders=1)))",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
    )
    per_thread = 3 if quick else 8
    one = threaded_rate(data, tr, 1, per_thread)
    two = threaded_rate(data, tr, 2, per_thread)
    print(f"  import bot.chart (fresh process)        {import_ms:.0f} ms, matplotlib not imported")
    print(
        f"  first render in a fresh process         {first_ms:.0f} ms (includes the lazy matplotlib import)"
    )
    print(f"  max 10 ms-tick delay, async renders     {stall:.1f} ms")
    print(
        f"  the same, first render of a process     {first_stall:.1f} ms (matplotlib imported in the thread)"
    )
    print(
        f"  pictures/s, 1 thread vs 2 threads       {one:.1f} vs {two:.1f} (no global lock; the GIL limits)"
    )


if __name__ == "__main__":
    main()
