"""The /progress picture: a calendar of the user's history, the pain lines and habit strength.

Two halves. `progress_layout` is pure: it decides what each calendar cell is (practised,
rest day, skipped, before joining, ...), where it goes, which values the lines carry and
every label (through the user's Translator); tests inspect it as data. `render_progress_png`
only draws that layout.

Honest by construction: days before joining are not drawn at all, rest days are hollow
and misses grey (never red), the window is the user's whole history (days while it fits
in 12 weeks, then one cell per week), and a day without a rating is a gap in the pain
lines, never a straight line bridging it.

Cheap to have around: matplotlib is imported on the first render (so `import bot.chart`
costs nothing at start-up, and `render_progress_png_async` does that import in a worker
thread). Figures are plain `Figure` + `FigureCanvasAgg` objects, never pyplot (no global
figure registry, no GUI backend), each render owns its figure, so renders run in parallel
threads without a global lock. The calendar is one PolyCollection, not a patch per day.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from bot.domain.habit_strength import strength_series
from bot.domain.streaks import DayKind, PracticeLog, day_kind, week_adherence, week_start
from bot.domain.trends import SessionPain, counted_sessions, daily_means
from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DAILY_MAX_WEEKS",
    "WEEK_COLUMNS",
    "CalendarLayout",
    "Cell",
    "ChartData",
    "LinesLayout",
    "ProgressLayout",
    "WeekKind",
    "figure_size",
    "has_data",
    "preload",
    "progress_layout",
    "render_progress_png",
    "render_progress_png_async",
]

DAILY_MAX_WEEKS = 12  # up to this many calendar weeks: one cell per day; beyond: one per week
WEEK_COLUMNS = 13  # weekly cells per row: a row is a quarter of a year
_MAX_X_LABELS = 5


@dataclass(frozen=True)
class ChartData:
    """Everything the picture needs, as plain values in the user's local dates.

    `pain` may hold every session; only completed and incomplete sessions' ratings are drawn.
    """

    log: PracticeLog
    pain: tuple[SessionPain, ...] = ()


class WeekKind(StrEnum):
    """A weekly cell (long histories): how much of that week's plan was done."""

    ON_PLAN = "week_on_plan"
    SOME = "week_some"
    NONE = "week_none"
    REST = "week_rest"  # nothing was due: paused, or every planned day skipped with a reason


@dataclass(frozen=True)
class Cell:
    """One calendar square. `kind` is a DayKind (daily mode) or WeekKind (weekly mode) value."""

    col: int
    row: int  # 0 = top row (the oldest)
    kind: str
    start: date  # the day, or the week's Monday
    fill: float = 1.0  # weekly mode: share of the week's plan done, 0..1
    today: bool = False


@dataclass(frozen=True)
class CalendarLayout:
    mode: Literal["days", "weeks"]
    columns: int
    rows: int
    cells: tuple[Cell, ...]  # before-joining days have no cell: they stay blank
    column_labels: tuple[str, ...]
    row_labels: tuple[str, ...]
    title: str
    legend: tuple[tuple[str, str], ...]  # (kind, label) for the kinds that appear


@dataclass(frozen=True)
class LinesLayout:
    """One slot per day (or week in weekly mode); None is a gap the lines do not bridge."""

    slots: int
    before: tuple[float | None, ...]
    after: tuple[float | None, ...]
    strength: tuple[float | None, ...]  # 0..1
    x_labels: tuple[tuple[int, str], ...]  # (slot, label)
    pain_title: str
    before_label: str
    after_label: str
    strength_title: str
    percent_labels: tuple[str, str, str]  # 0%, 50%, 100%


@dataclass(frozen=True)
class ProgressLayout:
    title: str
    subtitle: str
    calendar: CalendarLayout
    lines: LinesLayout


# Legend texts; marked for extraction here, translated where the layout is built.
_DAY_LABELS: dict[str, str] = {
    DayKind.DONE: N_("Practised"),
    DayKind.PARTIAL: N_("Started"),
    DayKind.SKIPPED: N_("Skipped"),
    DayKind.PAUSED: N_("Paused"),
    DayKind.REST: N_("Rest day"),
    DayKind.MISSED: N_("Not done"),
    DayKind.OPEN: N_("Today"),
}
_WEEK_LABELS: dict[str, str] = {
    WeekKind.ON_PLAN: N_("Plan done"),
    WeekKind.SOME: N_("Part of the plan"),
    WeekKind.NONE: N_("No sessions"),
    WeekKind.REST: N_("Paused or skipped"),
}


def has_data(data: ChartData) -> bool:
    """True once there is anything to draw: a session (even one ended short) or a counted rating."""
    if data.log.done or data.log.partial:
        return True
    return any(s.before is not None or s.after is not None for s in counted_sessions(data.pain))


def _short_date(tr: Translator, day: date) -> str:
    # The pattern is translatable: German wants "5. März", English "5 Mar".
    return tr.date(day, tr.p_("date pattern", "d MMM"))


def _month_year(tr: Translator, day: date) -> str:
    return tr.date(day, tr.p_("date pattern", "LLL yyyy"))


def progress_layout(data: ChartData, tr: Translator) -> ProgressLayout:
    """Decide everything the picture shows; no drawing, no matplotlib."""
    log = data.log
    first_monday = week_start(log.joined)
    weeks = (week_start(log.today) - first_monday).days // 7 + 1
    strength = dict(strength_series(log))
    if weeks <= DAILY_MAX_WEEKS:
        calendar = _daily_calendar(log, tr, first_monday, weeks)
        lines = _daily_lines(data, tr, strength)
    else:
        calendar = _weekly_calendar(log, tr, first_monday, weeks)
        lines = _weekly_lines(data, tr, strength, first_monday, weeks)
    score = strength.get(log.today, 0.0)
    subtitle = tr._("Habit strength: {strength}", strength=tr.percent(round(score, 2)))
    return ProgressLayout(tr._("Your practice"), subtitle, calendar, lines)


def _daily_calendar(log: PracticeLog, tr: Translator, first_monday: date, weeks: int) -> CalendarLayout:
    cells: list[Cell] = []
    for row in range(weeks):
        for col in range(7):
            day = first_monday + timedelta(days=row * 7 + col)
            kind = day_kind(log, day)
            if kind is DayKind.BEFORE_JOINING:
                continue
            cells.append(Cell(col, row, kind.value, day, today=day == log.today))
    present = {c.kind for c in cells}
    legend = tuple((k, tr._(label)) for k, label in _DAY_LABELS.items() if k in present)
    practised = sum(1 for c in cells if c.kind == DayKind.DONE)
    title = tr.n_(
        "{n} practice day since {date}",
        "{n} practice days since {date}",
        practised,
        date=tr.date(log.joined),
    )
    return CalendarLayout(
        mode="days",
        columns=7,
        rows=weeks,
        cells=tuple(cells),
        column_labels=tuple(tr.weekday(i, "short") for i in range(7)),
        row_labels=tuple(_short_date(tr, first_monday + timedelta(weeks=r)) for r in range(weeks)),
        title=title,
        legend=legend,
    )


def _weekly_calendar(log: PracticeLog, tr: Translator, first_monday: date, weeks: int) -> CalendarLayout:
    cells: list[Cell] = []
    this_monday = week_start(log.today)
    for index in range(weeks):
        monday = first_monday + timedelta(weeks=index)
        done, due = week_adherence(log, monday)
        if due == 0:
            kind, fill = (WeekKind.ON_PLAN, 1.0) if done else (WeekKind.REST, 0.0)
        else:
            fill = min(1.0, done / due)
            kind = WeekKind.ON_PLAN if fill >= 1 else WeekKind.SOME if done else WeekKind.NONE
        row, col = divmod(index, WEEK_COLUMNS)
        cells.append(Cell(col, row, kind.value, monday, fill, today=monday == this_monday))
    rows = -(-weeks // WEEK_COLUMNS)
    present = {c.kind for c in cells}
    legend = tuple((k, tr._(label)) for k, label in _WEEK_LABELS.items() if k in present)
    title = tr._("Each week since {date}: how much of the plan was done", date=tr.date(log.joined))
    return CalendarLayout(
        mode="weeks",
        columns=WEEK_COLUMNS,
        rows=rows,
        cells=tuple(cells),
        column_labels=(),
        row_labels=tuple(
            _month_year(tr, first_monday + timedelta(weeks=r * WEEK_COLUMNS)) for r in range(rows)
        ),
        title=title,
        legend=legend,
    )


def _x_ticks(slots: int) -> list[int]:
    if slots <= 1:
        return [0]
    step = max(1, math.ceil((slots - 1) / (_MAX_X_LABELS - 1)))
    ticks = list(range(0, slots, step))
    if slots - 1 - ticks[-1] >= step / 2:
        ticks.append(slots - 1)
    return ticks


def _lines(
    tr: Translator,
    before: Sequence[float | None],
    after: Sequence[float | None],
    strength: Sequence[float | None],
    x_labels: tuple[tuple[int, str], ...],
) -> LinesLayout:
    return LinesLayout(
        slots=len(strength),
        before=tuple(before),
        after=tuple(after),
        strength=tuple(strength),
        x_labels=x_labels,
        pain_title=tr._("Pain (0-10), on days you rated it"),
        before_label=tr._("Before a session"),
        after_label=tr._("After a session"),
        strength_title=tr._("Habit strength"),
        percent_labels=(tr.percent(0), tr.percent(0.5), tr.percent(1)),
    )


def _pain_by_day(data: ChartData) -> tuple[dict[date, float], dict[date, float]]:
    counted = [s for s in counted_sessions(data.pain) if data.log.joined <= s.day <= data.log.today]
    before = daily_means((s.day, max(0, min(10, s.before))) for s in counted if s.before is not None)
    after = daily_means((s.day, max(0, min(10, s.after))) for s in counted if s.after is not None)
    return before, after


def _daily_lines(data: ChartData, tr: Translator, strength: dict[date, float]) -> LinesLayout:
    log = data.log
    days = list(log.days())
    before, after = _pain_by_day(data)
    labels = tuple((i, _short_date(tr, days[i])) for i in _x_ticks(len(days)))
    return _lines(
        tr,
        [before.get(d) for d in days],
        [after.get(d) for d in days],
        [strength.get(d) for d in days],
        labels,
    )


def _weekly_lines(
    data: ChartData, tr: Translator, strength: dict[date, float], first_monday: date, weeks: int
) -> LinesLayout:
    before, after = _pain_by_day(data)

    def weekly(values: dict[date, float]) -> list[float | None]:
        sums: list[list[float]] = [[] for _ in range(weeks)]
        for day, value in values.items():
            sums[(day - first_monday).days // 7].append(value)
        return [sum(v) / len(v) if v else None for v in sums]

    ends = [min(first_monday + timedelta(days=w * 7 + 6), data.log.today) for w in range(weeks)]
    labels = tuple((i, _month_year(tr, first_monday + timedelta(weeks=i))) for i in _x_ticks(weeks))
    return _lines(tr, weekly(before), weekly(after), [strength.get(e) for e in ends], labels)


# --- drawing -------------------------------------------------------------------------------

# Phone-friendly portrait: 8 in wide at 100 dpi (800 px), as tall as the calendar needs.
_WIDTH_IN = 8.0
_DPI = 100
_CELL_IN = {"days": 0.5, "weeks": 0.45}
_TEXT = "#333333"
_GREEN = "#3f8f5f"
_GREY = "#d4d4d4"
_BEFORE = "#c0504d"
_AFTER = "#3b6ea5"
_GRID = "#e6e6e6"
_TODAY_EDGE = "#1f3b57"
# (face, edge) per cell kind. Rest days are hollow, misses a quiet grey: nothing shames.
_STYLE: dict[str, tuple[str, str]] = {
    DayKind.DONE: (_GREEN, _GREEN),
    DayKind.PARTIAL: ("#b9dcc5", "#b9dcc5"),
    DayKind.SKIPPED: ("#f3d9a4", "#f3d9a4"),
    DayKind.PAUSED: ("#ddd5ee", "#ddd5ee"),
    DayKind.REST: ("#ffffff", "#9fb3c8"),
    DayKind.MISSED: (_GREY, _GREY),
    DayKind.OPEN: ("#ffffff", _TODAY_EDGE),
    DayKind.FUTURE: ("#ffffff", "#e8e8e8"),
    WeekKind.ON_PLAN: (_GREEN, _GREEN),
    WeekKind.NONE: (_GREY, _GREY),
    WeekKind.REST: ("#ddd5ee", "#ddd5ee"),
}
_PNG_OPTIONS = {"compress_level": 3}  # zlib level 3: about half of level 6's time, a little larger

# Vertical layout in inches from the top (the calendar's own height comes from its rows).
_HEAD_IN = 1.35  # title, subtitle, calendar title
_COLUMN_LABELS_IN = 0.3
_LEGEND_IN = 0.8  # up to two rows of swatches
_PAIN_HEAD_IN, _PAIN_PLOT_IN = 0.7, 2.0
_STRENGTH_HEAD_IN, _STRENGTH_PLOT_IN = 0.45, 0.8
_FOOT_IN = 0.45  # date labels
_PANEL_LEFT_IN, _PANEL_RIGHT_IN = 0.9, 7.55
_LABEL_CACHE = 2048  # glyph outlines of recent labels (weekday and date labels repeat a lot)


def preload() -> None:
    """Import the drawing modules now (call it in a worker thread to take the cost off the first user)."""
    for module in ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.textpath"):
        importlib.import_module(module)


def figure_size(layout: ProgressLayout) -> tuple[float, float]:
    """Width and height in inches: the calendar grows with the history, the rest is fixed."""
    cal = layout.calendar
    calendar = cal.rows * _CELL_IN[cal.mode] + (_COLUMN_LABELS_IN if cal.column_labels else 0)
    rest = _LEGEND_IN + _PAIN_HEAD_IN + _PAIN_PLOT_IN + _STRENGTH_HEAD_IN + _STRENGTH_PLOT_IN + _FOOT_IN
    return _WIDTH_IN, _HEAD_IN + calendar + rest


def render_progress_png(data: ChartData, tr: Translator | None = None) -> bytes | None:
    """Draw the picture as PNG bytes; None when there is nothing to show yet (send text instead).

    Blocking and CPU-bound: from async code use `render_progress_png_async`. `tr` is the
    user's Translator (English when None).
    """
    tr = tr or Translator("en")
    if not has_data(data):
        return None
    layout = progress_layout(data, tr)

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = figure_size(layout)
    fig = Figure(figsize=(width, height), dpi=_DPI)
    canvas = FigureCanvasAgg(fig)
    page = _Page(fig, height)
    page.text(width / 2, 0.4, layout.title, 17, ha="center", bold=True)
    page.text(width / 2, 0.78, layout.subtitle, 13, ha="center")
    top = _draw_calendar(page, layout.calendar)
    _draw_lines(page, layout.lines, top)
    page.finish()
    buf = io.BytesIO()
    canvas.print_png(buf, pil_kwargs=_PNG_OPTIONS)
    return buf.getvalue()


async def render_progress_png_async(data: ChartData, tr: Translator | None = None) -> bytes | None:
    """Render in a worker thread so one user's picture never stalls everyone else's updates."""
    return await asyncio.to_thread(render_progress_png, data, tr)


@functools.lru_cache(maxsize=_LABEL_CACHE)
def _glyphs(text: str, size: float, bold: bool) -> tuple[Any, float]:
    """A label's outline (in points, baseline at 0) and its width.

    Text is drawn as glyph outlines in one collection: matplotlib lays out and rasterises
    each Text artist separately (~1.8 ms each in 3.11), which was most of the render.
    The outlines are read-only and shared between threads.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    outline = TextPath((0, 0), text, size=size, prop=FontProperties(weight="bold" if bold else "normal"))
    vertices = outline.vertices.copy()
    path = Path(vertices, outline.codes.copy(), readonly=True)
    # The outline's control points bound the ink closely enough (exact extents walk every curve).
    return path, float(vertices[:, 0].max()) if len(vertices) else 0.0


class _Page:
    """The figure in inches from the top-left, and every label collected for one draw call."""

    def __init__(self, fig: Figure, height: float) -> None:
        self.fig = fig
        self.height = height
        self._paths: list[Any] = []
        self._offsets: list[tuple[float, float]] = []
        self._colors: list[str] = []

    def xy(self, x_in: float, y_in: float) -> tuple[float, float]:
        """Figure fractions for a point given in inches from the top-left."""
        return x_in / _WIDTH_IN, 1 - y_in / self.height

    def box(
        self, left_in: float, top_in: float, width_in: float, height_in: float
    ) -> tuple[float, float, float, float]:
        return (
            left_in / _WIDTH_IN,
            1 - (top_in + height_in) / self.height,
            width_in / _WIDTH_IN,
            height_in / self.height,
        )

    @staticmethod
    def width(text: str, size: float, bold: bool = False) -> float:
        """A label's width in inches."""
        return _glyphs(text, size, bold)[1] / 72

    def text(
        self,
        x_in: float,
        y_in: float,
        text: str,
        size: float,
        *,
        ha: str = "left",
        bold: bool = False,
        color: str = _TEXT,
    ) -> None:
        """A label vertically centred on y; ha is left, center or right."""
        if not text:
            return
        path, width = _glyphs(text, size, bold)
        shift = {"left": 0.0, "center": width / 2, "right": width}[ha] / 72
        self._paths.append(path)
        self._offsets.append(self.xy(x_in - shift, y_in + 0.36 * size / 72))
        self._colors.append(color)

    def finish(self) -> None:
        from matplotlib.collections import PathCollection
        from matplotlib.transforms import Affine2D

        labels = PathCollection(
            self._paths,
            offsets=self._offsets,
            offset_transform=self.fig.transFigure,
            facecolors=self._colors,
            edgecolors="none",
            linewidths=0,
            zorder=5,
        )
        labels.set_transform(Affine2D().scale(_DPI / 72))  # outlines are in points
        self.fig.add_artist(labels)

    def squares(
        self,
        squares: list[list[tuple[float, float]]],
        faces: list[str],
        edges: list[str] | str,
        linewidth: float,
        zorder: float = 1,
    ) -> None:
        """Polygons given in inches from the top-left, as one collection."""
        from matplotlib.collections import PolyCollection

        polygons = [[self.xy(x, y) for x, y in square] for square in squares]
        self.fig.add_artist(
            PolyCollection(
                polygons,
                facecolors=faces,
                edgecolors=edges,
                linewidths=linewidth,
                transform=self.fig.transFigure,
                zorder=zorder,
            )
        )


def _square(x: float, y: float, side: float) -> list[tuple[float, float]]:
    return [(x, y), (x + side, y), (x + side, y + side), (x, y + side)]


def _blend(fill: float) -> str:
    """Grey (nothing done) to green (plan done), for weekly cells."""
    grey, green = (0xD4, 0xD4, 0xD4), (0x3F, 0x8F, 0x5F)
    rgb = (round(g + (n - g) * fill) for g, n in zip(grey, green, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _draw_calendar(page: _Page, cal: CalendarLayout) -> float:
    """The calendar and its legend, drawn straight on the figure (no Axes); returns where it ends."""
    cell = _CELL_IN[cal.mode]
    page.text(_WIDTH_IN / 2, _HEAD_IN - 0.22, cal.title, 13, ha="center")
    top = _HEAD_IN + (_COLUMN_LABELS_IN if cal.column_labels else 0)
    left = 0.5 + (_WIDTH_IN - cal.columns * cell) / 2  # centred, nudged right of the row labels
    for col, label in enumerate(cal.column_labels):
        page.text(left + (col + 0.5) * cell, top - 0.15, label, 11, ha="center")
    step = max(1, math.ceil(cal.rows / 12))  # thin the labels of very long weekly histories
    for row in range(0, cal.rows, step):
        page.text(left - 0.1, top + (row + 0.5) * cell, cal.row_labels[row], 11, ha="right")
    pad = 0.07 * cell
    squares, faces, edges, outline = [], [], [], []
    for c in cal.cells:
        x, y = left + c.col * cell + pad, top + c.row * cell + pad
        squares.append(_square(x, y, cell - 2 * pad))
        face, edge = _STYLE.get(c.kind, (_GREY, _GREY))
        if c.kind == WeekKind.SOME:
            face = edge = _blend(c.fill)
        faces.append(face)
        edges.append(edge)
        if c.today:
            outline.append(_square(x - pad * 0.6, y - pad * 0.6, cell - 0.8 * pad))
    page.squares(squares, faces, edges, 1.5)
    if outline:
        page.squares(outline, ["none"], _TODAY_EDGE, 2.5, zorder=3)
    end = top + cal.rows * cell
    _draw_legend(page, cal.legend, end + 0.3)
    return end + _LEGEND_IN


def _draw_legend(page: _Page, legend: tuple[tuple[str, str], ...], y: float) -> None:
    """Swatches and labels, centred, wrapped onto a second row when a translation is long."""
    side, gap, size = 0.16, 0.32, 10.5
    widths = [side + 0.08 + page.width(label, size) for _, label in legend]
    rows: list[list[int]] = [[]]
    for i, w in enumerate(widths):
        row_width = sum(widths[j] + gap for j in rows[-1])
        if rows[-1] and row_width + w > _WIDTH_IN - 0.6:
            rows.append([])
        rows[-1].append(i)
    squares, faces, edges = [], [], []
    for r, row in enumerate(rows[:2]):
        x = (_WIDTH_IN - (sum(widths[i] for i in row) + gap * (len(row) - 1))) / 2
        for i in row:
            kind, label = legend[i]
            squares.append(_square(x, y + 0.27 * r - side / 2, side))
            face, edge = _STYLE.get(kind, (_blend(0.5), _blend(0.5)))
            faces.append(face)
            edges.append(edge)
            page.text(x + side + 0.08, y + 0.27 * r, label, size)
            x += widths[i] + gap
    if squares:
        page.squares(squares, faces, edges, 1.5)


def _series(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _panel(page: _Page, top: float, height: float, slots: int, ylim: tuple[float, float]) -> Axes:
    """A bare Axes for one line panel: no tick machinery (labels are drawn with the others)."""
    ax = page.fig.add_axes(page.box(_PANEL_LEFT_IN, top, _PANEL_RIGHT_IN - _PANEL_LEFT_IN, height))
    ax.set_xlim(-0.6, max(slots - 0.4, 0.6))
    ax.set_ylim(*ylim)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _draw_lines(page: _Page, lines: LinesLayout, top: float) -> None:
    xs = list(range(lines.slots))
    x_span = max(lines.slots - 0.4, 0.6) + 0.6
    plot_width = _PANEL_RIGHT_IN - _PANEL_LEFT_IN

    def x_in(slot: float) -> float:
        return _PANEL_LEFT_IN + (slot + 0.6) / x_span * plot_width

    # Pain: title left, the two series' keys right (below the title if a translation is long).
    page.text(_PANEL_LEFT_IN, top + 0.2, lines.pain_title, 13)
    keys = [(lines.before_label, _BEFORE, "o"), (lines.after_label, _AFTER, "s")]
    keys_width = sum(0.45 + page.width(label, 10.5) + 0.25 for label, _, _ in keys)
    title_end = _PANEL_LEFT_IN + page.width(lines.pain_title, 13) + 0.3
    key_y = top + 0.2 if title_end + keys_width <= _PANEL_RIGHT_IN else top + 0.48
    x = _PANEL_RIGHT_IN - keys_width
    from matplotlib.lines import Line2D

    for label, color, marker in keys:
        (x0, y0), (x1, _) = page.xy(x, key_y), page.xy(x + 0.35, key_y)
        page.fig.add_artist(
            Line2D(
                [x0, (x0 + x1) / 2, x1],
                [y0, y0, y0],
                color=color,
                lw=2,
                marker=marker,
                markersize=6,
                markevery=[1],
                transform=page.fig.transFigure,
            )
        )
        page.text(x + 0.45, key_y, label, 10.5)
        x += 0.45 + page.width(label, 10.5) + 0.25

    plot_top = top + _PAIN_HEAD_IN
    pain = _panel(page, plot_top, _PAIN_PLOT_IN, lines.slots, (-0.5, 10.5))
    pain.hlines([0, 5, 10], -0.6, lines.slots, colors=_GRID, lw=1, zorder=0)
    dot = 4 if lines.slots > 40 else 6
    # NaN breaks a line: a day without a rating stays a gap. Markers show lone ratings.
    pain.plot(xs, _series(lines.before), color=_BEFORE, marker="o", markersize=dot, lw=2)
    pain.plot(xs, _series(lines.after), color=_AFTER, marker="s", markersize=dot, lw=2)
    for value in (0, 5, 10):
        page.text(
            _PANEL_LEFT_IN - 0.1, plot_top + (10.5 - value) / 11 * _PAIN_PLOT_IN, str(value), 10.5, ha="right"
        )

    top = plot_top + _PAIN_PLOT_IN
    page.text(_PANEL_LEFT_IN, top + 0.22, lines.strength_title, 13)
    plot_top = top + _STRENGTH_HEAD_IN
    habit = _panel(page, plot_top, _STRENGTH_PLOT_IN, lines.slots, (0, 1.02))
    habit.hlines([1], -0.6, lines.slots, colors=_GRID, lw=1, zorder=0)
    strength = _series(lines.strength)
    habit.fill_between(xs, strength, color=_GREEN, alpha=0.25, lw=0)
    habit.plot(xs, strength, color=_GREEN, lw=2, marker="o" if lines.slots == 1 else None)
    for value, label in ((0, lines.percent_labels[0]), (1, lines.percent_labels[2])):
        y = plot_top + (1.02 - value) / 1.02 * _STRENGTH_PLOT_IN
        page.text(_PANEL_LEFT_IN - 0.1, y, label, 10.5, ha="right")

    # Date labels under the last panel; the first and last are kept inside the picture.
    y = plot_top + _STRENGTH_PLOT_IN + 0.2
    for slot, label in lines.x_labels:
        half = page.width(label, 10.5) / 2
        x = min(max(x_in(slot), half + 0.1), _WIDTH_IN - half - 0.1)
        page.text(x, y, label, 10.5, ha="center")
