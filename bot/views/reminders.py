"""Words of reminders and their buttons."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator


def start_now(tr: Translator) -> str:
    return tr._("▶️ Start now")


def snooze_30(tr: Translator) -> str:
    return tr._("⏰ In 30 min")


def snooze_60(tr: Translator) -> str:
    return tr._("⏰ In 1 hour")


def skip_today(tr: Translator) -> str:
    return tr._("Skip today")


def skipped(tr: Translator) -> str:
    return tr._("No problem. Rest up, and pick up tomorrow. 🌱")


def snooze_until(tr: Translator, at: datetime) -> str:
    return tr._("Okay, I'll remind you again at {time}.", time=tr.time(at.time()))


def earlier_day(tr: Translator) -> str:
    return tr._("That reminder was for an earlier day.")


def starting(tr: Translator) -> str:
    return tr._("Starting now")


def snoozed_note(tr: Translator, minutes: int) -> str:
    return tr.n_("Snoozed {n} minute", "Snoozed {n} minutes", minutes)


def skipped_note(tr: Translator) -> str:
    return tr._("Skipped today")
