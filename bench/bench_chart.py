"""Benchmark the /progress picture: render time, and whether rendering blocks the event loop.

Run from the repository root: ``python bench/bench_chart.py [N]``.
Target: under 300 ms per render; the async variant must leave the loop responsive.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from bot.chart import ChartData, PainPoint, render_progress_png, render_progress_png_async

TARGET_MS = 300.0
TICK_S = 0.010


def ninety_day_user(today: date) -> ChartData:
    """90 days: most practised, some missed, some only started, pain drifting 8 -> 3."""
    practice: set[date] = set()
    partial: set[date] = set()
    pain: list[PainPoint] = []
    for i in range(90):
        day = today - timedelta(days=89 - i)
        if i % 6 == 2:
            continue
        before = 8 - round(5 * i / 89)
        if i % 9 == 4:
            partial.add(day)
            pain.append(PainPoint(day, before, None))
            continue
        practice.add(day)
        pain.append(PainPoint(day, before, max(before - 2, 0)))
        if i % 11 == 0:  # a second session that day: averaged in the chart
            pain.append(PainPoint(day, before - 1, max(before - 3, 0)))
    return ChartData(today, frozenset(practice), frozenset(partial), tuple(pain))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; enough for a 20-sample benchmark."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def time_sync_renders(data: ChartData, n: int) -> list[float]:
    """Wall time of n renders in ms, after one warm-up (font cache, glyph paths)."""
    render_progress_png(data)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        png = render_progress_png(data)
        samples.append((time.perf_counter() - t0) * 1000)
        assert png is not None
    return samples


async def max_tick_delay_ms(work: Callable[[], Awaitable[object]], renders: int) -> float:
    """Worst lateness of a 10 ms ticker running alongside `renders` calls of `work`.

    Off the loop the ticker is still a little late: the render thread holds the GIL in
    stretches (Agg/FreeType C code), but that is milliseconds, not the whole render.
    """
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(TICK_S)
            worst = max(worst, (time.perf_counter() - t0 - TICK_S) * 1000)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(3 * TICK_S)  # let the ticker settle
    for _ in range(renders):
        await work()
        # Yield between renders, so the sync case measures one render's stall, not five.
        await asyncio.sleep(3 * TICK_S)
    stop.set()
    await task
    return worst


async def loop_blocking(data: ChartData, renders: int) -> tuple[float, float]:
    """(max tick delay with the async render, with the sync render called in the loop)."""

    async def off_loop() -> object:
        return await render_progress_png_async(data)

    async def in_loop() -> object:
        return render_progress_png(data)  # deliberately blocking: the thing to avoid

    return (
        await max_tick_delay_ms(off_loop, renders),
        await max_tick_delay_ms(in_loop, renders),
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    data = ninety_day_user(date.today())

    samples = time_sync_renders(data, n)
    png = render_progress_png(data)
    assert png is not None
    median, p95 = statistics.median(samples), percentile(samples, 95)
    async_delay, sync_delay = asyncio.run(loop_blocking(data, renders=5))

    verdict = "OK" if p95 < TARGET_MS else "SLOW"
    rows = [
        ("renders (after 1 warm-up)", f"{n}"),
        ("PNG size", f"{len(png) / 1024:.0f} KB"),
        ("median render", f"{median:.0f} ms"),
        ("p95 render", f"{p95:.0f} ms  [{verdict}: target < {TARGET_MS:.0f} ms]"),
        ("max 10ms-tick delay, async render", f"{async_delay:.1f} ms  (loop free)"),
        ("max 10ms-tick delay, sync in loop", f"{sync_delay:.1f} ms  (loop blocked)"),
    ]
    width = max(len(k) for k, _ in rows)
    print("bench_chart: /progress picture, user with 90 days of data")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()
