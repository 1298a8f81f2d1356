"""The next reminder in words (settings, pause and resume, set-up answers)."""

from __future__ import annotations

from datetime import date, datetime

from bot.i18n import Translator


def reminders_paused(tr: Translator) -> str:
    return tr._("Reminders are paused. Send /resume to turn them back on.")


def no_reminder(tr: Translator) -> str:
    return tr._("No reminder is planned right now.")


def next_reminder(tr: Translator, local: datetime, today: date, zone: str) -> str:
    if local.date() == today:
        return tr._("Next reminder: today at {time} ({zone}).", time=tr.time(local.time()), zone=zone)
    return tr._(
        "Next reminder: {day} at {time} ({zone}).",
        day=tr.weekday(local.weekday(), "wide"),
        time=tr.time(local.time()),
        zone=zone,
    )
