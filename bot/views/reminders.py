"""Words of reminders and their buttons."""

from __future__ import annotations

from datetime import datetime

from bot.domain.phases import HABIT_DAYS
from bot.i18n import Translator


def habit(tr: Translator, day: int) -> str:
    return tr._("Time to stretch 🧘 Day {day} of {total}. About 15-20 minutes on your mat.", day=day, total=HABIT_DAYS)


def maintenance(tr: Translator, done: int, target: int) -> str:
    return tr._("It's a stretch day 🧘 This week: {done} of {target} sessions so far.", done=done, target=target)


def daily(tr: Translator) -> str:
    return tr._("Time for today's stretches 🧘 About 15-20 minutes on your mat.")


def checkin(tr: Translator) -> str:
    return tr._("Time for your stretches 🧘 It's also check-in day: one quick question just below.")


def snoozed(tr: Translator, text: str) -> str:
    return tr._("Here's the reminder you snoozed. {reminder}", reminder=text)


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
