"""Short lines about where a user stands: phase, day N of 21, this week, next reminder."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.phases import HABIT_DAYS, Phase
from bot.i18n import Translator


def phase_name(tr: Translator, phase: Phase) -> str:
    names = {
        Phase.HABIT: tr._("Building the habit: daily practice for 21 days"),
        Phase.CHECKIN: tr._("Habit built! One question about how your back feels"),
        Phase.DAILY: tr._("Daily practice, with a check-in coming up"),
        Phase.MAINTENANCE: tr._("Maintenance: a few times a week"),
    }
    return names[phase]


def habit_day(tr: Translator, day: int) -> str:
    return tr._("Day {day} of {total}.", day=day, total=HABIT_DAYS)


def week_count(tr: Translator, done: int, target: int) -> str:
    return tr._("This week: {done} of {target} sessions.", done=done, target=target)


def counts_today(tr: Translator) -> str:
    return tr._("Today counts towards your habit. 🎉")


def not_counted(tr: Translator) -> str:
    return tr._(
        "Today doesn't count yet (it needs 4 of 7 exercises done). "
        "That's okay; any practice helps. Pick up tomorrow."
    )


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


def progress_habit(tr: Translator, day: int) -> str:
    return tr._("🌱 Building the habit: day {day} of {total}.", day=day, total=HABIT_DAYS)


def progress_maintenance(tr: Translator, done: int, target: int, weeks: int) -> str:
    return tr.n_(
        "🌳 Maintenance: {done} of {target} sessions this week; {n} week in a row on target.",
        "🌳 Maintenance: {done} of {target} sessions this week; {n} weeks in a row on target.",
        weeks,
        done=done,
        target=target,
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


def six_weeks(tr: Translator) -> str:
    return tr._(
        "🩺 After about six weeks without a clear improvement, it's worth seeing a doctor "
        "to check what else might help."
    )


def next_first(tr: Translator) -> str:
    return tr._("Next step: send /stretch for your first session.")


def today_done(tr: Translator) -> str:
    return tr._("Today is done. Rest well, and see you next time.")


def next_today(tr: Translator) -> str:
    return tr._("Next step: a session today keeps things moving. Send /stretch when ready.")


def picture_caption(tr: Translator) -> str:
    return tr._("Your practice days and pain line.")


def picture_later(tr: Translator) -> str:
    return tr._("Your picture will appear here once you've done a session.")
