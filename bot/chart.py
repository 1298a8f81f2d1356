"""The /progress picture: a practice calendar plus a pain line, rendered to PNG bytes.

Rendering is pure CPU work (roughly 150-250 ms), so the bot calls :func:`render_progress_png_async`,
which moves it to a worker thread and keeps the event loop free for other users.
We never import ``matplotlib.pyplot``: pyplot keeps a global registry of figures (a leak
and a thread-safety hazard in a long-running bot) and may try to open a GUI window.
Figures are built from :class:`matplotlib.figure.Figure` with an explicit Agg canvas, so
they are plain objects that the garbage collector frees when rendering is done.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

# Headless by default, should anything else in the process import pyplot later.
# setdefault: an operator's explicit MPLBACKEND wins; pyplot itself is never touched here.
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib.dates as mdates  # after the backend default above
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

__all__ = [
    "ChartData",
    "PainPoint",
    "has_data",
    "render_progress_png",
    "render_progress_png_async",
]


@dataclass(frozen=True)
class PainPoint:
    """One session's pain ratings (0-10); either may be missing if the user skipped it."""

    day: date  # user's local date of the session
    before: int | None
    after: int | None


@dataclass(frozen=True)
class ChartData:
    """Everything the picture needs, already converted to the user's local dates."""

    today: date
    practice_days: frozenset[date]
    partial_days: frozenset[date]
    pain: tuple[PainPoint, ...]
    title: str = "Your practice"


# Phone-friendly: 800x900 px portrait, fonts >= 10 pt at 100 dpi.
_FIG_SIZE_IN = (8.0, 9.0)
_DPI = 100
_FONT = 12
_FONT_SMALL = 10

_GREEN = "#4f9d69"  # completed session: calm, not alarming
_PALE_GREEN = "#cde7d5"  # started but not finished: visible, yet clearly "less"
_MISSED = "#ececec"  # past day without a session: neutral, no red shaming
_FUTURE_EDGE = "#dddddd"
_TODAY_EDGE = "#1f3b57"
_BEFORE = "#c0504d"
_AFTER = "#3b6ea5"
_TEXT = "#333333"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Longer windows switch the calendar to GitHub style and thin out date labels so that
# nothing overlaps on a phone screen.
_COMPACT_AFTER_WEEKS = 8
_MAX_DATE_LABELS = 12
_MAX_DATE_LABELS_WIDE = 6
_MAX_PAIN_TICKS = 7
_NUMBER_FONT = FontProperties(size=_FONT_SMALL)

# Agg itself is thread-safe per figure, but matplotlib's shared caches (fonts, text layout,
# mathtext) are not documented as such. Renders are short, so serialising them is cheap.
_RENDER_LOCK = threading.Lock()


def has_data(data: ChartData) -> bool:
    """True if the user has ever practised or rated pain; False means send text, not a chart."""
    if data.practice_days or data.partial_days:
        return True
    return any(p.before is not None or p.after is not None for p in data.pain)


def render_progress_png(data: ChartData, weeks: int = 6) -> bytes | None:
    """Render the progress picture; ``None`` for a brand-new user with nothing to show.

    Blocking (CPU-bound); from async code use :func:`render_progress_png_async`.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    if not has_data(data):
        return None

    # Window: whole Mon..Sun weeks, the last one containing today.
    week_start = data.today - timedelta(days=data.today.weekday())
    start = week_start - timedelta(weeks=weeks - 1)

    with _RENDER_LOCK:
        # Fixed margins rather than constrained layout: the labels are short and predictable,
        # and the layout solver would cost about a third of the render time.
        fig = Figure(figsize=_FIG_SIZE_IN, dpi=_DPI)
        canvas = FigureCanvasAgg(fig)
        try:
            grid = fig.add_gridspec(
                2,
                1,
                height_ratios=(1.2, 1.0),
                left=0.1,
                right=0.97,
                top=0.87,
                bottom=0.1,
                hspace=0.3,
            )
            _draw_calendar(fig.add_subplot(grid[0]), data, start, weeks)
            _draw_pain(fig.add_subplot(grid[1]), data, start)
            fig.suptitle(data.title, y=0.975, fontsize=16, fontweight="bold", color=_TEXT, parse_math=False)
            buf = io.BytesIO()
            canvas.print_png(buf)
            return buf.getvalue()
        finally:
            # Drop the artists now; the emptied figure/canvas pair is left for the GC.
            fig.clear()


async def render_progress_png_async(data: ChartData, weeks: int = 6) -> bytes | None:
    """Render in a worker thread so one user's chart never stalls everyone else's updates."""
    return await asyncio.to_thread(render_progress_png, data, weeks)


def _draw_calendar(ax: Axes, data: ChartData, start: date, weeks: int) -> None:
    """Calendar heatmap of the window, today outlined.

    Up to 8 weeks: one row per week (oldest on top), Mon..Sun columns, day numbers in the
    cells - it reads like a wall calendar. Longer windows switch to GitHub style (one
    column per week, weekdays as rows) so that the cells stay big enough to see on a phone.
    """
    wide = weeks > _COMPACT_AFTER_WEEKS
    done_in_window = 0
    number_paths: list[Path] = []
    number_xy: list[tuple[float, float]] = []
    number_colors: list[str] = []
    for week in range(weeks):
        for weekday in range(7):
            day = start + timedelta(weeks=week, days=weekday)
            # Lower-left corner of the cell; the first week / Monday goes at the top-left.
            x, y = (week, 6 - weekday) if wide else (weekday, weeks - 1 - week)
            if day > data.today:
                face, edge, text_color = "white", _FUTURE_EDGE, "#bbbbbb"
            elif day in data.practice_days:
                face, edge, text_color = _GREEN, _GREEN, "white"
                done_in_window += 1
            elif day in data.partial_days:
                face, edge, text_color = _PALE_GREEN, _PALE_GREEN, _TEXT
            else:
                face, edge, text_color = _MISSED, _MISSED, "#888888"
            ax.add_patch(Rectangle((x + 0.06, y + 0.06), 0.88, 0.88, facecolor=face, edgecolor=edge, lw=1))
            if not wide:
                number_paths.append(_day_number_path(day.day))
                number_xy.append((x + 0.5, y + 0.5))
                number_colors.append(text_color)
            if day == data.today:
                ax.add_patch(
                    Rectangle(
                        (x + 0.02, y + 0.02),
                        0.96,
                        0.96,
                        facecolor="none",
                        edgecolor=_TODAY_EDGE,
                        lw=2 if wide else 3,
                        zorder=3,
                    )
                )

    if number_paths:
        # One collection instead of ~40 Text artists: text layout is the slowest part of a
        # matplotlib render, and this halves the calendar's cost. Paths are in points,
        # placed at data-space cell centres (the way scatter markers work).
        numbers = PathCollection(
            number_paths,
            offsets=number_xy,
            offset_transform=ax.transData,
            facecolors=number_colors,
            edgecolors="none",
            linewidths=0,
            zorder=2,
        )
        numbers.set_transform(Affine2D().scale(_DPI / 72.0))
        ax.add_collection(numbers, autolim=False)

    label_size = _FONT_SMALL + 1
    weekday_pos = [i + 0.5 for i in range(7)]
    # Thin out week-start labels on long windows so they never collide.
    shown = range(0, weeks, -(-weeks // (_MAX_DATE_LABELS_WIDE if wide else _MAX_DATE_LABELS)))
    week_labels = [(start + timedelta(weeks=w)).strftime("%b %d") for w in shown]
    ax.xaxis.tick_top()
    if wide:
        ax.set_xlim(0, weeks)
        ax.set_ylim(0, 7)
        ax.set_xticks([w + 0.5 for w in shown], week_labels, fontsize=label_size)
        ax.set_yticks(weekday_pos[::-1], _WEEKDAYS, fontsize=label_size)
    else:
        ax.set_xlim(0, 7)
        ax.set_ylim(0, weeks)
        ax.set_xticks(weekday_pos, _WEEKDAYS, fontsize=label_size)
        ax.set_yticks([weeks - 1 - w + 0.5 for w in shown], week_labels, fontsize=label_size)
    ax.set_aspect("equal")
    ax.tick_params(length=0, colors=_TEXT)
    for spine in ax.spines.values():
        spine.set_visible(False)

    total_days = (data.today - start).days + 1
    ax.set_title(
        f"Practice days: {done_in_window} of the last {total_days}",
        fontsize=_FONT + 1,
        color=_TEXT,
        pad=28,
    )
    ax.legend(
        handles=[
            Patch(facecolor=_GREEN, label="Done"),
            Patch(facecolor=_PALE_GREEN, label="Started"),
            Patch(facecolor="none", edgecolor=_TODAY_EDGE, lw=2, label="Today"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        frameon=False,
        fontsize=label_size,
    )


@functools.cache
def _day_number_path(day_of_month: int) -> Path:
    """Glyph outline of a day number in points, centred on (0, 0); built once per number."""
    path = TextPath((0, 0), str(day_of_month), size=_FONT_SMALL, prop=_NUMBER_FONT)
    box = path.get_extents()
    return path.transformed(Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2))


def _daily_means(
    points: tuple[PainPoint, ...], start: date, today: date
) -> tuple[dict[date, float], dict[date, float]]:
    """Average pain before/after per local day in the window (several sessions may share one)."""
    before: defaultdict[date, list[int]] = defaultdict(list)
    after: defaultdict[date, list[int]] = defaultdict(list)
    for p in points:
        if not start <= p.day <= today:
            continue
        if p.before is not None:
            before[p.day].append(min(max(p.before, 0), 10))
        if p.after is not None:
            after[p.day].append(min(max(p.after, 0), 10))

    def mean(d: dict[date, list[int]]) -> dict[date, float]:
        return {k: sum(v) / len(v) for k, v in sorted(d.items())}

    return mean(before), mean(after)


def _draw_pain(ax: Axes, data: ChartData, start: date) -> None:
    """Pain before (solid) and after (dashed) over the calendar's window, 0-10."""
    before, after = _daily_means(data.pain, start, data.today)
    ax.set_title("Pain (0 = none, 10 = worst)", fontsize=_FONT + 1, color=_TEXT)

    if not before and not after:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            "No pain ratings in these weeks yet.\nRate your pain before and after a session\n"
            "to see how it changes.",
            ha="center",
            va="center",
            fontsize=_FONT + 1,
            color="#666666",
            transform=ax.transAxes,
            linespacing=1.5,
        )
        return

    handles: list[Line2D] = []
    if before:
        (line,) = ax.plot(
            list(before),
            list(before.values()),
            color=_BEFORE,
            lw=2.2,
            marker="o",
            ms=5,
            label="Before session",
        )
        handles.append(line)
    if after:
        (line,) = ax.plot(
            list(after),
            list(after.values()),
            color=_AFTER,
            lw=2.2,
            ls="--",
            marker="o",
            ms=5,
            mfc="white",
            label="After session",
        )
        handles.append(line)

    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    # A little margin so markers on the first day / today aren't cut in half (in day units:
    # dates can't be fractional, so work in matplotlib's float dates).
    margin = max(0.5, 0.02 * (data.today - start).days)
    ax.set_xlim(mdates.date2num(start) - margin, mdates.date2num(data.today) + margin)
    # Ticks on the same Mondays that label the calendar rows, so the panels read together.
    n_weeks = (data.today - start).days // 7 + 1
    step = -(-n_weeks // _MAX_PAIN_TICKS)
    mondays = [start + timedelta(weeks=w) for w in range(0, n_weeks, step)]
    ax.set_xticks([mdates.date2num(m) for m in mondays], [m.strftime("%b %d") for m in mondays])
    ax.tick_params(labelsize=_FONT_SMALL + 1, colors=_TEXT)
    ax.grid(axis="y", color="#e6e6e6", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Below the axis: a legend inside could hide the most recent (most interesting) points.
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=2,
        fontsize=_FONT_SMALL + 1,
        frameon=False,
    )
