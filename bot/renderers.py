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
from functools import cache
from typing import Any


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


def _progress_chart(data: dict[str, Any]) -> Made | None:
    from datetime import date

    from bot.chart import ChartData, PainPoint, render_progress_png

    chart = ChartData(
        today=date.fromisoformat(data["today"]),
        practice_days=frozenset(date.fromisoformat(d) for d in data["practice_days"]),
        partial_days=frozenset(date.fromisoformat(d) for d in data["partial_days"]),
        pain=tuple(PainPoint(date.fromisoformat(d), before, after) for d, before, after in data["pain"]),
    )
    png = render_progress_png(chart)
    return None if png is None else Made("photo", png, "progress.png")


def _report(data: dict[str, Any]) -> Made:
    from bot.report_pdf import render_from_json

    return Made("document", render_from_json(data), "stretch-coach-report.pdf")


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
