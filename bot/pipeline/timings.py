"""Durations counted into fixed buckets: what /metrics shows as a histogram.

The pipeline observes (an update's receipt -> commit, a reminder's due -> sent) and the
metrics module reads; memory stays fixed however long the process runs or however rarely
anyone scrapes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# Seconds. An update is handled within milliseconds unless the database or the backlog holds it.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Seconds. A reminder goes out within a dispatch interval, unless the broadcast is long or the bot was down.
REMINDER_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)


@dataclass
class Timings:
    bounds: tuple[float, ...]
    # counts[i]: observations <= bounds[i] and above the bound before; the last one: above all.
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations at or below it), ending with +Inf: Prometheus' buckets."""
        out: list[tuple[float, int]] = []
        running = 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out
