"""Files made at send time from data a flow stored: the /progress picture, the /export file,
the /report PDF, and the exercise illustrations.

Each renderer is a pure function of its data, run in a worker thread so the event loop
stays free; heavy libraries are imported on first use, not at start-up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from bot.domain.streaks import PracticeLog
from bot.domain.trends import SessionPain
from bot.i18n import translator


@dataclass(frozen=True)
class Made:
    kind: str  # "photo" | "document"
    data: bytes
    filename: str


@dataclass(frozen=True)
class Illustration:
    data: bytes
    filename: str
    width: int
    height: int
    duration: float


def _export(data: dict[str, Any]) -> Made:
    body = json.dumps(data["export"], indent=2, ensure_ascii=False).encode()
    return Made("document", body, "stretch-coach-data.json")


@dataclass(frozen=True)
class History:
    """A user's history as the domain reads it (see bot/flows/history.py)."""

    log: PracticeLog
    sessions: tuple[SessionPain, ...]
    completed: int


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def history_json(history: History) -> dict[str, Any]:
    log = history.log
    return {
        "today": log.today.isoformat(),
        "periods": [[phase, start.isoformat()] for phase, start in log.periods],
        "done": sorted(d.isoformat() for d in log.done),
        "partial": sorted(d.isoformat() for d in log.partial),
        "skipped": sorted(d.isoformat() for d in log.skipped),
        "pauses": [[start.isoformat(), end.isoformat() if end else None] for start, end in log.pauses],
        "weekdays": sorted(log.weekdays),
        "sessions": [[s.day.isoformat(), s.status, s.before, s.after] for s in history.sessions],
        "completed": history.completed,
    }


def history_from_json(data: dict[str, Any]) -> History:
    log = PracticeLog(
        date.fromisoformat(data["today"]),
        tuple((phase, date.fromisoformat(start)) for phase, start in data["periods"]),
        done=frozenset(date.fromisoformat(d) for d in data["done"]),
        partial=frozenset(date.fromisoformat(d) for d in data["partial"]),
        skipped=frozenset(date.fromisoformat(d) for d in data["skipped"]),
        pauses=tuple((date.fromisoformat(start), _day(end)) for start, end in data["pauses"]),
        weekdays=frozenset(data["weekdays"]),
    )
    sessions = tuple(SessionPain(date.fromisoformat(d), st, b, a) for d, st, b, a in data["sessions"])
    return History(log, sessions, int(data["completed"]))


def _progress_chart(data: dict[str, Any]) -> Made | None:
    from bot.chart import ChartData, render_progress_png

    history = history_from_json(data["history"])
    png = render_progress_png(ChartData(history.log, history.sessions), translator(data["locale"]))
    return None if png is None else Made("photo", png, "progress.png")


def _report(data: dict[str, Any]) -> Made:
    from bot.report_pdf import (
        Pause,
        PhaseChange,
        ReportData,
        SafetyAnswer,
        StoppedExercise,
        render_report_pdf,
    )

    history = history_from_json(data["history"])
    report = ReportData(
        generated_on=date.fromisoformat(data["generated_on"]),
        log=history.log,
        sessions=history.sessions,
        stopped=tuple(
            StoppedExercise(date.fromisoformat(d), name, side) for d, name, side in data["stopped"]
        ),
        safety=tuple(SafetyAnswer(date.fromisoformat(d), q, tier, a) for d, q, tier, a in data["safety"]),
        pauses=tuple(Pause(date.fromisoformat(a), _day(b), r) for a, b, r in data["pauses"]),
        phase_changes=tuple(
            PhaseChange(date.fromisoformat(d), o, n, r) for d, o, n, r in data["phase_changes"]
        ),
        name=data.get("name", ""),
        completed_sessions=history.completed,
    )
    pdf = render_report_pdf(report, translator(data["locale"]))
    return Made("document", pdf, "stretch-coach-report.pdf")


RENDERERS: dict[str, Callable[[dict[str, Any]], Made | None]] = {
    "export": _export,
    "progress_chart": _progress_chart,
    "report": _report,
}


async def render(name: str, data: dict[str, Any]) -> Made | None:
    return await asyncio.to_thread(RENDERERS[name], data)


@cache
def media_keys() -> frozenset[str]:
    from bot.illustrations import all_keys

    return frozenset(key.slug for key in all_keys())


def has_illustration(key: str) -> bool:
    return key in media_keys()


def _illustration(slug: str) -> Illustration:
    from bot.illustrations import render as draw

    made = draw(next(k for k in _keys() if k.slug == slug))
    return Illustration(made.data, made.filename, made.width, made.height, made.duration_s)


def _keys() -> list[Any]:
    from bot.illustrations import all_keys

    return all_keys()


async def illustration(key: str) -> Illustration | None:
    """The illustration `key` names, drawn off the event loop (cached after the first time)."""
    if key not in media_keys():
        return None
    return await asyncio.to_thread(_illustration, key)
