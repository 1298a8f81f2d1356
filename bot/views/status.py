"""Short lines about where a user stands: phase, day N of 21, this week, next reminder."""

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


def progress_streak(tr: Translator, current: int, longest: int) -> str:
    return tr.n_(
        "🔥 Current streak: {n} day · longest: {longest}",
        "🔥 Current streak: {n} days · longest: {longest}",
        current,
        longest=longest,
    )


def progress_total(tr: Translator, total: int) -> str:
    return tr._("✅ Sessions completed: {total}", total=total)


def pain_none(tr: Translator) -> str:
    return tr._("📉 Pain trend: your ratings will show here after your first session.")


def pain_first_only(tr: Translator, first: int) -> str:
    return tr._("📉 Pain: first rating {first}/10; no ratings in the last 7 days.", first=first)


def pain_trend(tr: Translator, first: int, recent: float, change: float, meaningful: bool) -> str:
    if meaningful:
        verdict = tr._("a meaningful improvement 🎉")
    elif change <= 0:
        verdict = tr._("keep going; changes take time")
    else:
        verdict = tr._("a little higher")
    return tr._(
        "📉 Pain: first {first}/10, last 7 days average {recent} ({change}): {verdict}.",
        first=first,
        recent=tr.number(recent, 1),
        change=("+" if change > 0 else "") + tr.number(change, 1),
        verdict=verdict,
    )


def picture_caption(tr: Translator) -> str:
    return tr._("Your practice days and pain line.")


def picture_later(tr: Translator) -> str:
    return tr._("Your picture will appear here once you've done a session.")
