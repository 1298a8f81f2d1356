"""Benchmark the exercise illustrations: first-start cost, per-picture render time, sizes, cache hits.

    python bench/bench_illustrations.py [--quick] [--repeats N] [--starts N]

- **First start**: a fresh `python` process per run (so nothing is cached and Pillow is not yet
  imported) imports `bot.illustrations`, then renders every animation (and, separately, every
  still). This is what the bot pays once per process if it renders everything up front, or
  spread over the first session's steps if it renders on demand.
- **Per picture**: the uncached renderer (`render.__wrapped__`) N times per picture in this
  process after one warm-up; median and p95, with frames, loop length and GIF size.
- **Cached**: `render(key)` once cached, which is what every later step costs.
- **Event loop**: the worst lateness of a 10 ms ticker while pictures render through
  `render_async` (a worker thread) versus called directly in the loop.

Targets: every GIF under 300 KB; all pictures rendered at first start in under 5 s; a cached
picture under 50 us. Every loop is bounded; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from bench import _common as c
from bot.illustrations import all_keys, render

ROOT = c.ROOT
GIF_BUDGET_KB = 300
FIRST_START_TARGET_S = 5.0
CACHED_TARGET_US = 50.0
TICK_S = 0.010

# Runs in a fresh interpreter: times the import, every animation, then every still.
_FIRST_START = """
import json, sys, time
t0 = time.perf_counter()
import bot.illustrations as ill
t1 = time.perf_counter()
pil_before = 'PIL' in sys.modules
for key in ill.all_keys():
    ill.render(key)
t2 = time.perf_counter()
for key in ill.all_keys():
    ill.still_png(key)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "animations_s": t2 - t1, "stills_s": t3 - t2,
                  "pil_at_import": pil_before}))
"""


def first_starts(n: int) -> list[dict[str, float]]:
    runs = []
    for _ in range(n):
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_START], cwd=ROOT, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def per_picture(repeats: int) -> list[tuple[str, int, float, int, float, float]]:
    uncached = render.__wrapped__
    rows = []
    for key in all_keys():
        illustration = uncached(key)  # warm-up
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            uncached(key)
            samples.append((time.perf_counter() - t0) * 1000)
        rows.append(
            (
                key.slug,
                illustration.frames,
                illustration.duration_s,
                illustration.size,
                statistics.median(samples),
                c.percentile(samples, 95),
            )
        )
    return rows


def cached_lookup_us(lookups: int) -> float:
    keys = all_keys()
    for key in keys:
        render(key)
    t0 = time.perf_counter()
    for i in range(lookups):
        render(keys[i % len(keys)])
    return (time.perf_counter() - t0) / lookups * 1e6


async def max_tick_delay_ms(threaded: bool) -> float:
    """Worst lateness of a 10 ms ticker while every picture renders once (uncached)."""
    uncached = render.__wrapped__
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(TICK_S)
            worst = max(worst, (time.perf_counter() - t0 - TICK_S) * 1000)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(3 * TICK_S)
    for key in all_keys():
        if threaded:
            await asyncio.to_thread(uncached, key)
        else:
            uncached(key)  # deliberately blocking: the thing to avoid
        await asyncio.sleep(3 * TICK_S)
    stop.set()
    await task
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1 first start, 2 repeats per picture")
    parser.add_argument("--repeats", type=int, default=None, help="renders per picture (default 10)")
    parser.add_argument("--starts", type=int, default=None, help="fresh processes (default 5)")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 10)
    starts = args.starts or (1 if args.quick else 5)

    print(f"bench_illustrations: {len(all_keys())} pictures; {c.load_note()}")
    runs = first_starts(starts)
    total = [r["import_s"] + r["animations_s"] for r in runs]
    with_stills = [r["import_s"] + r["animations_s"] + r["stills_s"] for r in runs]
    verdict = "OK" if max(total) < FIRST_START_TARGET_S else "SLOW"
    print(
        c.table(
            f"\nFirst start (fresh process, median of {starts})",
            ["step", "median", "worst"],
            [
                (
                    "import bot.illustrations",
                    f"{statistics.median(r['import_s'] for r in runs) * 1000:.0f} ms",
                    f"{max(r['import_s'] for r in runs) * 1000:.0f} ms",
                ),
                (
                    "render all animations (incl. Pillow import)",
                    f"{statistics.median(r['animations_s'] for r in runs):.2f} s",
                    f"{max(r['animations_s'] for r in runs):.2f} s",
                ),
                (
                    "render all stills",
                    f"{statistics.median(r['stills_s'] for r in runs):.2f} s",
                    f"{max(r['stills_s'] for r in runs):.2f} s",
                ),
                (
                    f"import + animations [{verdict}: < {FIRST_START_TARGET_S:.0f} s]",
                    f"{statistics.median(total):.2f} s",
                    f"{max(total):.2f} s",
                ),
                (
                    "import + animations + stills",
                    f"{statistics.median(with_stills):.2f} s",
                    f"{max(with_stills):.2f} s",
                ),
            ],
        )
    )
    pil_at_import = any(r["pil_at_import"] for r in runs)
    print(f"  Pillow imported by `import bot.illustrations`: {'yes (!)' if pil_at_import else 'no'}")

    rows = per_picture(repeats)
    table_rows = [
        (
            slug,
            frames,
            f"{duration:.1f} s",
            f"{size / 1024:.0f} KB" + ("" if size / 1024 < GIF_BUDGET_KB else " (!)"),
            f"{med:.0f} ms",
            f"{p95:.0f} ms",
        )
        for slug, frames, duration, size, med, p95 in rows
    ]
    total_kb = sum(r[3] for r in rows) / 1024
    table_rows.append(
        ("all", sum(r[1] for r in rows), "", f"{total_kb:.0f} KB", f"{sum(r[4] for r in rows):.0f} ms", "")
    )
    print(
        c.table(
            f"\nPer picture (warm process, {repeats} renders each, uncached)",
            ["picture", "frames", "loop", "GIF", "median", "p95"],
            table_rows,
        )
    )
    over = [r[0] for r in rows if r[3] / 1024 >= GIF_BUDGET_KB]
    print(f"  size budget {GIF_BUDGET_KB} KB: {'all under' if not over else 'OVER: ' + ', '.join(over)}")

    cached = cached_lookup_us(100_000)
    cached_verdict = "OK" if cached < CACHED_TARGET_US else "SLOW"
    threaded = asyncio.run(max_tick_delay_ms(threaded=True))
    blocking = asyncio.run(max_tick_delay_ms(threaded=False))
    print(
        c.table(
            "\nServing a picture again, and the event loop",
            ["measure", "value"],
            [
                (f"cached render(key) [{cached_verdict}: < {CACHED_TARGET_US:.0f} us]", f"{cached:.2f} us"),
                ("bytes held by the cache (all animations)", f"{total_kb:.0f} KB"),
                ("max 10 ms-tick delay, render_async (worker thread)", f"{threaded:.1f} ms"),
                ("max 10 ms-tick delay, render called in the loop", f"{blocking:.1f} ms"),
            ],
        )
    )


if __name__ == "__main__":
    main()
