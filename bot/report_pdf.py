"""/report: a one-page PDF a user can hand to their clinician.

What a clinician asks first, on one A4 page: how regularly the routine was done
(by week), how pain before and after sessions moved (a small vector chart), which
exercises were stopped for pain, every red-flag answer and pause with its date, and
the phase changes. Long histories are summarised, never spread over pages: each
section has a row budget and says how many older entries it left out (the full
record is in /export).

The input is a plain `ReportData` that the caller builds from the database; this
module reads nothing else, so a report can only hold the data it was given. Every
label goes through the user's Translator. Exercise and question texts arrive
already in the user's words (the routine and the screen own them).

fpdf2 draws it (pure Python, maintained, embeds a TrueType subset): DejaVu Sans
from matplotlib's bundled fonts covers Latin and Cyrillic, so Russian reports
render; fpdf2 is imported on first use, not at bot start-up.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.chart import ChartData, LinesLayout, progress_layout
from bot.domain.habit_strength import habit_strength
from bot.domain.streaks import PracticeLog, week_adherence, week_start
from bot.domain.trends import Direction, SeriesTrend, SessionPain, counted_sessions, pain_trends
from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "Pause",
    "PhaseChange",
    "ReportData",
    "SafetyAnswer",
    "StoppedExercise",
    "render_report_pdf",
]


@dataclass(frozen=True)
class StoppedExercise:
    """An exercise logged as stopped-for-pain. `exercise` is its name in the user's language."""

    day: date
    exercise: str
    side: str = ""  # left | right | both | "" (the routine's side keys)


@dataclass(frozen=True)
class SafetyAnswer:
    """One red-flag answer. `question` is the question as the user was asked it."""

    day: date
    question: str
    tier: str  # the screen's tier key: emergency | doctor_today | doctor_first (or doctor)
    answer: bool


@dataclass(frozen=True)
class Pause:
    """The programme paused from `start` to `end` (None: still paused)."""

    start: date
    end: date | None
    reason: str  # user | emergency | doctor_today | doctor_first | ... (shown as given if unknown)


@dataclass(frozen=True)
class PhaseChange:
    day: date
    old: str  # phase keys: habit | checkin | daily | flare | maintenance
    new: str
    reason: str  # the phase change's reason key


@dataclass(frozen=True)
class ReportData:
    """Everything one user's report shows; built by the caller from that user's rows only.

    `log` is the practice history (its pauses should be the same as `pauses`);
    `sessions` may hold every session: only completed and incomplete ones' ratings count.
    """

    generated_on: date
    log: PracticeLog
    sessions: tuple[SessionPain, ...] = ()
    stopped: tuple[StoppedExercise, ...] = ()
    safety: tuple[SafetyAnswer, ...] = ()
    pauses: tuple[Pause, ...] = ()
    phase_changes: tuple[PhaseChange, ...] = ()
    name: str = ""
    completed_sessions: int | None = None  # sessions completed (defaults to practice days)


_PHASES = {
    "habit": N_("Habit building (daily)"),
    "checkin": N_("Check-in (daily)"),
    "daily": N_("Daily practice"),
    "flare": N_("Daily practice after a flare-up"),
    "maintenance": N_("Maintenance on chosen weekdays"),
}
_REASONS = {
    "habit_complete": N_("21 practice days reached"),
    "checkin_less_sore": N_("Less sore at check-in"),
    "checkin_still_sore": N_("Still sore at check-in"),
    "checkin_unanswered": N_("Check-in unanswered for a week"),
    "checkin_due": N_("Check-in due"),
    "flare_up": N_("Flare-up"),
    "flare_reported": N_("Flare-up reported by the user"),
    "flare_accepted": N_("Flare-up: pain rose, daily practice accepted"),
}
_TIERS = {
    "emergency": N_("emergency sign"),
    "doctor_today": N_("see a doctor today"),
    "doctor_first": N_("see a doctor before starting"),
    "doctor": N_("see a doctor before starting"),
}
_PAUSE_REASONS = {
    "user": N_("paused by the user"),
    "emergency": N_("stopped: emergency sign"),
    "doctor_today": N_("paused: see a doctor today"),
    "doctor_first": N_("paused until a clinician clears exercise"),
    "doctor": N_("paused until a clinician clears exercise"),
}
_SIDES = {"left": N_("left"), "right": N_("right"), "both": N_("both sides")}

# A4 portrait in mm.
_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 14.0
_COL_GAP = 8.0
_COL_W = (_PAGE_W - 2 * _MARGIN - _COL_GAP) / 2
_LINE = 4.6  # body line height
_BODY, _SMALL, _HEAD = 9.0, 7.5, 11.0
_WEEK_ROWS = 12  # adherence table: the latest weeks
_GREEN = (63, 143, 95)
_BEFORE = (192, 80, 77)
_AFTER = (59, 110, 165)
_GREY = (120, 120, 120)
_LIGHT = (225, 225, 225)
_FONT = "DejaVu"


def _label(tr: Translator, table: dict[str, str], key: str) -> str:
    """A stored key in the user's words; an unknown key (newer data) is shown as it is."""
    return tr._(table[key]) if key in table else key


def _font_files() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold, as shipped inside matplotlib (found without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the report needs matplotlib's bundled DejaVu fonts")
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def render_report_pdf(data: ReportData, tr: Translator) -> bytes:
    """The report as PDF bytes: always exactly one A4 page. Blocking; run it in a worker thread."""
    from fpdf import FPDF

    regular, bold = _font_files()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_font(_FONT, "", str(regular))
    pdf.add_font(_FONT, "B", str(bold))
    pdf.set_creation_date(datetime.combine(data.generated_on, time(12, 0)))
    pdf.set_title(tr._("Stretch practice report"))
    pdf.set_creator("Stretch Coach")
    pdf.add_page()
    y = _header(pdf, data, tr)
    y = _summary(pdf, data, tr, y)
    lines = progress_layout(ChartData(data.log, data.sessions), tr).lines
    chart_bottom = _pain_chart(pdf, lines, tr, _MARGIN, y + 2, _COL_W, 58)
    table_bottom = _weeks_table(pdf, data, tr, _MARGIN + _COL_W + _COL_GAP, y + 2)
    y = max(chart_bottom, table_bottom) + 4
    bottom = _PAGE_H - _MARGIN - 6
    _Column(pdf, _MARGIN, y, bottom, tr).stack(_stopped(data, tr), _pauses(data, tr), second_rows=5)
    right = _Column(pdf, _MARGIN + _COL_W + _COL_GAP, y, bottom, tr)
    right.stack(_safety(data, tr), _phases(data, tr), second_rows=4)
    pdf.set_font(_FONT, "", _SMALL)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(_MARGIN, _PAGE_H - _MARGIN - 4)
    pdf.cell(_PAGE_W - 2 * _MARGIN, 4, tr._("Self-reported in the Stretch Coach bot. Not a medical record."))
    assert pdf.page_no() == 1, "the report must stay on one page"
    return bytes(pdf.output())


def _text(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    text: str,
    size: float = _BODY,
    *,
    bold: bool = False,
    color: tuple[int, int, int] = (40, 40, 40),
    align: str = "L",
) -> None:
    pdf.set_font(_FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.set_xy(x, y)
    pdf.cell(w, _LINE, _fit(pdf, text, w), align=align)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut a line to the width with an ellipsis (the page never grows)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap to at most `max_lines` lines, the last one cut with an ellipsis."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for i, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if pdf.get_string_width(candidate) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[i:])
            break
    lines.append(current)
    return [_fit(pdf, line, width) for line in lines[:max_lines]]


def _header(pdf: FPDF, data: ReportData, tr: Translator) -> float:
    y = _MARGIN
    _text(pdf, _MARGIN, y, 182, tr._("Stretch practice report"), 15, bold=True)
    y += 7.5
    period = tr._(
        "{start} to {end}",
        start=tr.date(data.log.joined),
        end=tr.date(data.log.today),
    )
    parts = [p for p in (data.name, period, tr._("prepared {date}", date=tr.date(data.generated_on))) if p]
    _text(pdf, _MARGIN, y, 182, " · ".join(parts), _BODY, color=_GREY)
    y += _LINE + 1
    pdf.set_draw_color(*_LIGHT)
    pdf.line(_MARGIN, y + 1, _PAGE_W - _MARGIN, y + 1)
    return y + 3


def _trend_line(tr: Translator, label: str, trend: SeriesTrend) -> str:
    if trend.baseline is None or trend.baseline_day is None:
        return tr._("{series}: no ratings yet", series=label)
    baseline = tr.number(trend.baseline, 1)
    if trend.recent is None or trend.change is None or trend.threshold is None:
        return tr._(
            "{series}: first {baseline}/10 ({date}); no later ratings in the last 7 days",
            series=label,
            baseline=baseline,
            date=tr.date(trend.baseline_day),
        )
    verdict = {
        Direction.BETTER: tr._("a meaningful decrease"),
        Direction.WORSE: tr._("a meaningful increase"),
        Direction.SAME: tr._("less than a meaningful change"),
        Direction.NOT_YET: "",
    }[trend.direction]
    return tr._(
        "{series}: first {baseline}/10 ({date}), last 7 days {recent}/10; change {change} "
        "({verdict}; meaningful: {threshold} points)",
        series=label,
        baseline=baseline,
        date=tr.date(trend.baseline_day),
        recent=tr.number(trend.recent, 1),
        change=("+" if trend.change > 0 else "") + tr.number(trend.change, 1),
        verdict=verdict,
        threshold=tr.number(trend.threshold, 1),
    )


def _summary(pdf: FPDF, data: ReportData, tr: Translator, y: float) -> float:
    log = data.log
    weeks = _weeks(log)
    # Practice beyond a week's plan is welcome but does not make up for another week.
    done = sum(min(d, u) for _, d, u in weeks)
    due = sum(u for _, _, u in weeks)
    practice_days = sum(1 for d in log.done if log.joined <= d <= log.today)
    completed = data.completed_sessions if data.completed_sessions is not None else practice_days
    short = sum(1 for s in data.sessions if s.status == "incomplete")
    trends = pain_trends(data.sessions, log.today)
    phase = _label(tr, _PHASES, log.phase)
    rows = [
        tr._("Current phase: {phase} (since {date})", phase=phase, date=tr.date(log.period_of(log.today)[1])),
        tr._(
            "Sessions completed: {completed}; ended early: {short}; practice days: {days}",
            completed=completed,
            short=short,
            days=practice_days,
        ),
        tr._(
            "Adherence: {done} of {due} planned days ({share}); habit strength {strength}",
            done=done,
            due=due,
            share=tr.percent(round(done / due, 2)) if due else "–",
            strength=tr.percent(round(habit_strength(log), 2)),
        ),
        _safety_line(data, tr),
        _trend_line(tr, tr._("Pain before sessions"), trends.before),
        _trend_line(tr, tr._("Pain after sessions"), trends.after),
    ]
    pdf.set_font(_FONT, "", _BODY)
    for row in rows:
        for line in _wrap(pdf, row, _PAGE_W - 2 * _MARGIN, 2):
            _text(pdf, _MARGIN, y, _PAGE_W - 2 * _MARGIN, line)
            y += _LINE
    return y


def _safety_line(data: ReportData, tr: Translator) -> str:
    yes = [a.day for a in data.safety if a.answer]
    if not yes:
        return tr.n_(
            "Red-flag questions: {n} answer, no yes",
            "Red-flag questions: {n} answers, none yes",
            len(data.safety),
        )
    return tr.n_(
        "Red-flag questions: {n} answer, {yes} yes (latest {date})",
        "Red-flag questions: {n} answers, {yes} yes (latest {date})",
        len(data.safety),
        yes=len(yes),
        date=tr.date(max(yes)),
    )


def _weeks(log: PracticeLog) -> list[tuple[date, int, int]]:
    """(Monday, practice days, days due) for every week from joining to today."""
    monday = week_start(log.joined)
    weeks = []
    while monday <= log.today:
        done, due = week_adherence(log, monday)
        weeks.append((monday, done, due))
        monday += timedelta(weeks=1)
    return weeks


def _heading(pdf: FPDF, x: float, y: float, w: float, text: str) -> float:
    _text(pdf, x, y, w, text, _HEAD, bold=True)
    return y + _LINE + 1.5


def _weeks_table(pdf: FPDF, data: ReportData, tr: Translator, x: float, y: float) -> float:
    """The latest weeks one per row, older ones summed up in one line."""
    y = _heading(pdf, x, y, _COL_W, tr._("Adherence by week"))
    weeks = _weeks(data.log)
    cols = (x, x + 27, x + 49, x + 58)
    widths = (27, 22, 9, _COL_W - 58)
    headers = (tr._("Week of"), tr._("Done"), tr._("Due"), tr._("Pain before / after"))
    for cx, w, h in zip(cols, widths, headers, strict=True):
        _text(pdf, cx, y, w, h, _SMALL, bold=True, color=_GREY)
    y += _LINE
    counted = counted_sessions(data.sessions)
    shown = weeks[-_WEEK_ROWS:]
    if len(weeks) > len(shown):
        older = weeks[: len(weeks) - len(shown)]
        line = tr.n_(
            "{n} earlier week: {done} of {due} days",
            "{n} earlier weeks: {done} of {due} days",
            len(older),
            done=sum(min(done, due) for _week, done, due in older),
            due=sum(due for _week, _done, due in older),
        )
        _text(pdf, x, y, _COL_W, line, _SMALL, color=_GREY)
        y += _LINE
    for monday, done, due in reversed(shown):
        sunday = monday + timedelta(days=6)
        week = [s for s in counted if monday <= s.day <= sunday]
        pain = " / ".join(_mean(tr, [getattr(s, a) for s in week]) for a in ("before", "after"))
        cells = (tr.date(monday), str(done), str(due), pain)
        for cx, w, text in zip(cols, widths, cells, strict=True):
            _text(pdf, cx, y, w, text, _BODY)
        if due:
            share = min(1.0, done / due)
            pdf.set_fill_color(*_LIGHT)
            pdf.rect(cols[1] + 6, y + 1.2, 14, 2.2, style="F")
            pdf.set_fill_color(*_GREEN)
            if share > 0:
                pdf.rect(cols[1] + 6, y + 1.2, 14 * share, 2.2, style="F")
        y += _LINE
    return y


def _mean(tr: Translator, values: Sequence[int | None]) -> str:
    rated = [v for v in values if v is not None]
    return tr.number(sum(rated) / len(rated), 1) if rated else "–"


def _pain_chart(
    pdf: FPDF, lines: LinesLayout, tr: Translator, x: float, y: float, w: float, h: float
) -> float:
    """Pain before and after, one slot per day (or week for long histories); gaps stay gaps."""
    y = _heading(pdf, x, y, w, tr._("Pain over time (0-10)"))
    left, top, width, height = x + 7, y + 5, w - 9, h - 16
    # Keys
    for i, (label, color) in enumerate(((lines.before_label, _BEFORE), (lines.after_label, _AFTER))):
        kx = x + 7 + i * (w / 2)
        pdf.set_fill_color(*color)
        pdf.rect(kx, y + 1, 3, 2, style="F")
        _text(pdf, kx + 4, y - 0.3, w / 2 - 6, label, _SMALL)
    pdf.set_draw_color(*_LIGHT)
    pdf.set_line_width(0.2)
    for value in (0, 5, 10):
        gy = top + height * (1 - value / 10)
        pdf.line(left, gy, left + width, gy)
        _text(pdf, x, gy - _LINE / 2, 6, str(value), _SMALL, color=_GREY, align="R")
    slots = max(lines.slots, 1)

    def px(slot: int) -> float:
        return left + width * (slot + 0.5) / slots

    def py(value: float) -> float:
        return top + height * (1 - value / 10)

    marker = 0.9 if slots < 40 else 0.6
    for values, color, square in ((lines.before, _BEFORE, False), (lines.after, _AFTER, True)):
        pdf.set_draw_color(*color)
        pdf.set_fill_color(*color)
        pdf.set_line_width(0.5)
        for run in _runs(values):
            points = [(px(i), py(v)) for i, v in run]
            if len(points) > 1:
                pdf.polyline(points)
            for cx, cy in points:
                if square:
                    pdf.rect(cx - marker, cy - marker, 2 * marker, 2 * marker, style="F")
                else:
                    pdf.ellipse(cx - marker, cy - marker, 2 * marker, 2 * marker, style="F")
    for slot, label in (lines.x_labels[0], lines.x_labels[-1]) if lines.x_labels else ():
        align = "L" if slot == lines.x_labels[0][0] else "R"
        lx = left if align == "L" else left + width - 30
        _text(pdf, lx, top + height + 0.5, 30, label, _SMALL, color=_GREY, align=align)
    pdf.set_line_width(0.2)
    return top + height + 5


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive rated slots: each run is one line, so a missing rating is a gap."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        runs.append(current)
    return runs


@dataclass(frozen=True)
class _Section:
    """A titled list; each row is paragraphs (the first flush, the rest indented), each wrapped."""

    title: str
    rows: list[tuple[str, ...]]
    empty: str
    max_lines: int = 2  # per paragraph


class _Column:
    """Sections stacked down one column; never past the page bottom, and says what it left out."""

    def __init__(self, pdf: FPDF, x: float, y: float, bottom: float, tr: Translator) -> None:
        self.pdf, self.x, self.y, self.bottom, self.tr = pdf, x, y, bottom, tr

    def _lines(self, row: tuple[str, ...], max_lines: int) -> list[tuple[float, str]]:
        self.pdf.set_font(_FONT, "", _BODY)
        out: list[tuple[float, str]] = []
        for i, paragraph in enumerate(row):
            indent = 3.0 if i else 0.0
            out += [(indent, line) for line in _wrap(self.pdf, paragraph, _COL_W - indent, max_lines)]
        return out

    def height(self, section: _Section, max_rows: int) -> float:
        """Room the section takes with at most `max_rows` rows."""
        rows = section.rows[:max_rows] or [(section.empty,)]
        more = _LINE if len(section.rows) > max_rows else 0.0
        return _LINE + 1.5 + sum(len(self._lines(r, section.max_lines)) * _LINE for r in rows) + more + 3

    def place(self, section: _Section, reserve: float = 0.0) -> None:
        """Draw as many rows as fit above `reserve` mm kept free for the sections below."""
        limit = self.bottom - reserve
        self.y = _heading(self.pdf, self.x, self.y, _COL_W, section.title)
        if not section.rows:
            _text(self.pdf, self.x, self.y, _COL_W, section.empty, _BODY, color=_GREY)
            self.y += _LINE + 3
            return
        shown = 0
        for row in section.rows:
            lines = self._lines(row, section.max_lines)
            left_after = len(section.rows) - shown - 1
            if self.y + _LINE * (len(lines) + (1 if left_after else 0)) > limit:
                break
            for indent, line in lines:
                _text(self.pdf, self.x + indent, self.y, _COL_W - indent, line, _BODY)
                self.y += _LINE
            shown += 1
        if shown < len(section.rows):
            more = self.tr.n_(
                "…and {n} more (the full record is in /export)",
                "…and {n} more (the full record is in /export)",
                len(section.rows) - shown,
            )
            _text(self.pdf, self.x, self.y, _COL_W, more, _SMALL, color=_GREY)
            self.y += _LINE
        self.y += 3

    def stack(self, first: _Section, second: _Section, second_rows: int) -> None:
        """Two sections: the second keeps room for up to `second_rows` rows, the first takes the rest."""
        self.place(first, reserve=self.height(second, second_rows))
        self.place(second)


def _stopped(data: ReportData, tr: Translator) -> _Section:
    """Per exercise: how often it was stopped for pain, and when last."""
    by_exercise: dict[str, list[StoppedExercise]] = {}
    for s in data.stopped:
        by_exercise.setdefault(s.exercise, []).append(s)
    ordered = sorted(by_exercise.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    rows: list[tuple[str, ...]] = []
    for name, items in ordered:
        sides = sorted({_label(tr, _SIDES, s.side) for s in items if s.side in _SIDES})
        line = tr.n_(
            "{exercise}: {n} time, last {date}",
            "{exercise}: {n} times, last {date}",
            len(items),
            exercise=name,
            date=tr.date(max(s.day for s in items)),
        )
        rows.append((tr._("{summary} ({sides})", summary=line, sides=tr.list(sides)) if sides else line,))
    return _Section(tr._("Exercises stopped for pain"), rows, tr._("None"))


def _pauses(data: ReportData, tr: Translator) -> _Section:
    rows: list[tuple[str, ...]] = []
    for p in sorted(data.pauses, key=lambda p: p.start, reverse=True):
        if p.end is None:
            span = tr._("since {start}", start=tr.date(p.start))
        else:
            span = tr._("{start} to {end}", start=tr.date(p.start), end=tr.date(p.end))
        rows.append((tr._("{span}: {reason}", span=span, reason=_label(tr, _PAUSE_REASONS, p.reason)),))
    return _Section(tr._("Pauses"), rows, tr._("None"))


def _safety(data: ReportData, tr: Translator) -> _Section:
    """Every yes with its question and date first (newest first); then each all-clear screen as one line."""
    rows: list[tuple[str, ...]] = []
    for a in sorted((a for a in data.safety if a.answer), key=lambda a: a.day, reverse=True):
        head = tr._("{date}: YES ({tier})", date=tr.date(a.day), tier=_label(tr, _TIERS, a.tier))
        rows.append((head, a.question))
    by_day: dict[date, list[SafetyAnswer]] = {}
    for a in data.safety:
        by_day.setdefault(a.day, []).append(a)
    for day in sorted(by_day, reverse=True):
        answers = by_day[day]
        if not any(a.answer for a in answers):
            line = tr.n_(
                "{date}: {n} question, answered no",
                "{date}: {n} questions, all answered no",
                len(answers),
                date=tr.date(day),
            )
            rows.append((line,))
    # Questions get three lines: a clinician needs the whole question, not its start.
    return _Section(tr._("Red-flag questions"), rows, tr._("Not asked yet"), max_lines=3)


def _phases(data: ReportData, tr: Translator) -> _Section:
    rows: list[tuple[str, ...]] = []
    for c in sorted(data.phase_changes, key=lambda c: c.day, reverse=True):
        phase = tr._("{date}: {phase}", date=tr.date(c.day), phase=_label(tr, _PHASES, c.new))
        rows.append((phase, _label(tr, _REASONS, c.reason)))
    return _Section(tr._("Phase changes"), rows, tr._("None yet"))
