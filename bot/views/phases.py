"""The words for the habit schedule: announcements, the check-in, reminder, session-end and
/progress lines, each chosen by `bot.domain.phases.say` and friends as a `Line` key.

A flow gathers the values once (`PhaseFacts`) and renders the keys it was given:

    lines = say(state.phase, day, Say.REMINDER, transition=t)
    text = render(tr, lines, PhaseFacts(day=..., week=...))

Missed days are normal here: nothing scolds, a skipped day says "pick up tomorrow".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from bot.domain.phases import HABIT_DAYS, Line, WeekProgress
from bot.domain.symptoms import SixWeeks
from bot.i18n import N_, Translator
from bot.views import safety

__all__ = [
    "PhaseFacts",
    "checkin_buttons",
    "flare_button",
    "flare_offer_buttons",
    "has_checkin_buttons",
    "render",
    "render_line",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class PhaseFacts:
    """The values lines may need; a line that needs a missing one raises ValueError.

    day: "day N of 21" (the day a session today makes, or the one just counted).
    counted: habit days counted so far. week / weeks_on_target: maintenance counts.
    checkin_on: when DAILY or FLARE asks again. next_day: the next stretch day.
    weekdays: the chosen maintenance weekdays (0 = Monday). six_weeks: the six-week numbers.
    """

    day: int | None = None
    counted: int | None = None
    week: WeekProgress | None = None
    weeks_on_target: int | None = None
    checkin_on: date | None = None
    next_day: date | None = None
    weekdays: tuple[int, ...] = field(default_factory=tuple)
    six_weeks: SixWeeks | None = None


def _need(value: _T | None, name: str, line: Line) -> _T:
    if value is None:
        raise ValueError(f"{line.value} needs {name}")
    return value


def _weekday(tr: Translator, d: date) -> str:
    return tr.weekday(d.weekday(), "wide")


# Lines that need no values.
_PLAIN: dict[Line, str] = {
    Line.ANNOUNCE_CHECKIN_DUE: N_("It's been a week of daily stretching: time for a quick check-in."),
    Line.CHECKIN_QUESTION: N_("Does your low back feel less sore than when you started?"),
    Line.FLARE_OFFER: N_(
        "Your pain is clearly up. Would you like to go back to daily, gentle stretching for a while?"
    ),
    Line.FLARE_OFFER_DECLINED: N_("OK, staying on your plan. Go gently, and skip anything that hurts."),
    Line.FLARE_IN_HABIT: N_(
        "Sorry your back is flaring up. You're already stretching every day, so your plan stays "
        "as it is: go gently, skip anything that hurts, and your habit days keep counting."
    ),
    Line.FLARE_ALREADY: N_("You're already on daily, gentle practice. Skip anything that hurts."),
    Line.CHECKIN_NOT_OPEN: N_("That question has been answered already. I'll ask again when it's time."),
    Line.REMINDER_SNOOZED: N_("Here's the reminder you snoozed."),
    Line.REMINDER_DAILY: N_("Time for today's stretches 🧘 About 15 minutes on your mat."),
    Line.REMINDER_FLARE: N_(
        "Time for a gentle session 🧘 While your back settles, shorter holds are fine, and "
        "you can skip anything that hurts."
    ),
    Line.SESSION_END_CHECKIN: N_("Done for today. Well done."),
    Line.SESSION_END_STILL_SORE: N_("Done for today. Thank you for keeping at it while your back is sore."),
    Line.SESSION_END_FLARE: N_(
        "Done for today, gently. Well done for keeping moving while your back settles."
    ),
    Line.SESSION_END_ALREADY_COUNTED: N_("Done. Today had already counted, so this one is a bonus."),
    Line.SESSION_END_SHORT: N_(
        "Saved. A day counts from 4 of the 7 exercises, so this one doesn't count for today. "
        "That's fine: another go today counts, or pick up tomorrow."
    ),
    Line.NEXT_FIRST_SESSION: N_("Next step: send /stretch for your first session."),
    Line.NEXT_DAILY: N_("Next step: today's session, whenever suits you. Send /stretch when you're ready."),
    Line.NEXT_FLARE: N_(
        "Next step: a gentle session today, if your back allows. Send /stretch when you're ready."
    ),
    Line.NEXT_MAINTENANCE: N_(
        "Next step: today is one of your stretch days. Send /stretch when you're ready."
    ),
    Line.NEXT_DONE_TODAY: N_("Today is done. Rest well, and see you tomorrow."),
    Line.NEXT_SKIPPED: N_("You're taking today off, and that's fine. Pick up tomorrow."),
}

# Lines that name the length of the habit phase.
_HABIT_TOTAL: dict[Line, str] = {
    Line.ANNOUNCE_HABIT_COMPLETE: N_("That's {total} days of stretching: the habit is yours. 🎉"),
    Line.HEADER_CHECKIN: N_("🌱 Habit phase complete: {total} days. One question is waiting for you below."),
}

# Lines that name the next stretch day.
_NEXT_DAY: dict[Line, str] = {
    Line.NEXT_REST_DAY: N_("Today is a rest day. Your next stretch day is {weekday}."),
    Line.NEXT_DONE_TODAY_MAINTENANCE: N_("Today is done. Your next stretch day is {weekday}."),
    Line.NEXT_SKIPPED_MAINTENANCE: N_(
        "You're taking today off, and that's fine. Your next stretch day is {weekday}."
    ),
}

# Lines that name the date the check-in comes back.
_CHECKIN_ON: dict[Line, str] = {
    Line.ANNOUNCE_STILL_SORE: N_(
        "Thanks for telling me. Let's keep stretching every day, gently, and I'll ask again on {date}."
    ),
    Line.ANNOUNCE_CHECKIN_UNANSWERED: N_(
        "No answer to the check-in yet, and that's fine. I'll keep your stretches daily for now "
        "and ask again on {date}. If you'd like to answer sooner, the buttons above still work."
    ),
    Line.ANNOUNCE_FLARE_REPORTED: N_(
        "Sorry your back is flaring up. Back to daily stretching for now: go gently, skip "
        "anything that hurts, and I'll check in with you on {date}."
    ),
    Line.ANNOUNCE_FLARE_ACCEPTED: N_(
        "OK, daily stretching again for a while. Go gently, and I'll check in with you on {date}."
    ),
    Line.REMINDER_STILL_SORE: N_(
        "Time for today's stretches 🧘 Gently does it; I'll ask how your back feels on {date}."
    ),
    Line.HEADER_STILL_SORE: N_("🌿 Daily practice for now. I'll ask how your back feels on {date}."),
    Line.HEADER_FLARE: N_("🌿 Daily, gentle practice after a flare-up. I'll check in with you on {date}."),
}


def _week_line(tr: Translator, line: Line, week: WeekProgress) -> str:
    """The weekly count, saying how a first, partial week is counted."""
    done, target = tr.number(week.done), tr.number(week.target)
    start = _weekday(tr, week.counts_from)
    if line is Line.REMINDER_MAINTENANCE:
        if week.first_week:
            return tr._(
                "It's one of your stretch days 🧘 Your first maintenance week counts from "
                "{weekday}: {done} of {target} so far.",
                weekday=start,
                done=done,
                target=target,
            )
        return tr._(
            "It's one of your stretch days 🧘 This week: {done} of {target} so far.", done=done, target=target
        )
    if line is Line.SESSION_END_MAINTENANCE_EXTRA:
        return tr._(
            "Done: an extra session on a rest day. It counts for this week: {done} of {target}.",
            done=done,
            target=target,
        )
    # SESSION_END_MAINTENANCE
    if week.met:
        return tr._("Done. That's {done} of {target} this week: target met. 🎉", done=done, target=target)
    if week.first_week:
        return tr._(
            "Done. Your first maintenance week counts from {weekday}: {done} of {target}.",
            weekday=start,
            done=done,
            target=target,
        )
    return tr._("Done. This week: {done} of {target}.", done=done, target=target)


def _maintenance_header(tr: Translator, facts: PhaseFacts) -> str:
    week = _need(facts.week, "week", Line.HEADER_MAINTENANCE)
    if week.first_week and week.target == 0:
        return tr._(
            "🌳 Maintenance since {date}. Your first full week starts on Monday.",
            date=tr.date(week.counts_from),
        )
    if week.first_week:
        return tr._(
            "🌳 Maintenance since {date}. This first week counts from then: {done} of {target} sessions.",
            date=tr.date(week.counts_from),
            done=tr.number(week.done),
            target=tr.number(week.target),
        )
    streak = _need(facts.weeks_on_target, "weeks_on_target", Line.HEADER_MAINTENANCE)
    return tr._(
        "🌳 Maintenance: {done} of {target} sessions this week; {weeks}.",
        done=tr.number(week.done),
        target=tr.number(week.target),
        weeks=tr.n_("{n} week in a row on target", "{n} weeks in a row on target", streak),
    )


def _less_sore(tr: Translator, facts: PhaseFacts) -> str:
    """Maintenance begins: the days, and how the week it begins in is counted."""
    days = [tr.weekday(d, "wide") for d in sorted(facts.weekdays)]
    if days:
        text = tr._(
            "Glad to hear it. From now on, a few sessions a week keep your back in good shape: "
            "{days}. You can change the days in /settings.",
            days=tr.list(days),
        )
    else:
        text = tr._("Glad to hear it. From now on, a few sessions a week keep your back in good shape.")
    week = facts.week
    if week is None or not week.first_week:
        return text
    if week.target == 0:
        first = tr._("Your first full week starts on Monday.")
    else:
        first = tr.n_(
            "This week counts from today: {n} session to aim for.",
            "This week counts from today: {n} sessions to aim for.",
            week.target,
        )
    return tr._("{text} {first}", text=text, first=first)


def render_line(tr: Translator, line: Line, facts: PhaseFacts = PhaseFacts()) -> str:
    """The words for one key."""
    if line in _PLAIN:
        return tr._(_PLAIN[line])
    if line in _HABIT_TOTAL:
        return tr._(_HABIT_TOTAL[line], total=tr.number(HABIT_DAYS))
    if line in _NEXT_DAY:
        next_day = _need(facts.next_day, "next_day", line)
        return tr._(_NEXT_DAY[line], weekday=_weekday(tr, next_day))
    if line in _CHECKIN_ON:
        return tr._(_CHECKIN_ON[line], date=tr.date(_need(facts.checkin_on, "checkin_on", line)))
    if line in (Line.REMINDER_MAINTENANCE, Line.SESSION_END_MAINTENANCE, Line.SESSION_END_MAINTENANCE_EXTRA):
        return _week_line(tr, line, _need(facts.week, "week", line))
    if line is Line.HEADER_MAINTENANCE:
        return _maintenance_header(tr, facts)
    if line is Line.ANNOUNCE_LESS_SORE:
        return _less_sore(tr, facts)
    if line in (Line.REMINDER_HABIT, Line.SESSION_END_HABIT, Line.NEXT_HABIT, Line.HEADER_HABIT):
        day = tr.number(_need(facts.day, "day", line))
        total = tr.number(HABIT_DAYS)
        if line is Line.REMINDER_HABIT:
            return tr._(
                "Time to stretch 🧘 Day {day} of {total}. About 15 minutes on your mat.", day=day, total=total
            )
        if line is Line.SESSION_END_HABIT:
            return tr._("Day {day} of {total} done. 🎉", day=day, total=total)
        if line is Line.NEXT_HABIT:
            return tr._(
                "Next step: a session today makes it day {day} of {total}. Send /stretch when you're ready.",
                day=day,
                total=total,
            )
        counted = _need(facts.counted, "counted", line)
        return tr._(
            "🌱 Building the habit: day {day} of {total} ({counted}).",
            day=day,
            total=total,
            counted=tr.n_("{n} day counted so far", "{n} days counted so far", counted),
        )
    if line in (Line.SIX_WEEK_ADVICE, Line.SIX_WEEK_DESPITE_LESS_SORE, Line.LESS_SORE_WITH_SIX_WEEK):
        six = _need(facts.six_weeks, "six_weeks", line)
        if line is Line.SIX_WEEK_ADVICE:
            return safety.six_week_advice(tr, six)
        numbers = {"start": tr.number(six.start), "recent": tr.number(six.recent, 1 if six.recent % 1 else 0)}
        if line is Line.SIX_WEEK_DESPITE_LESS_SORE:
            return tr._(
                "You've told me your back feels less sore, which is good to hear. Your pain ratings "
                "haven't come down much over about six weeks, though ({start} at the start, around "
                "{recent} lately), so a doctor or physiotherapist could still be worth seeing, to "
                "check what else might help.",
                **numbers,
            )
        return tr._(
            "{glad}\n\n"
            "One suggestion all the same: your pain ratings haven't come down much over about six "
            "weeks ({start} at the start, around {recent} lately), so a doctor or physiotherapist "
            "could still be worth seeing, to check what else might help.",
            glad=_less_sore(tr, facts),
            **numbers,
        )
    if line is Line.STILL_SORE_WITH_SIX_WEEK:
        six = _need(facts.six_weeks, "six_weeks", line)
        return tr._(
            "{still_sore}\n\n{advice}",
            still_sore=tr._(
                _CHECKIN_ON[Line.ANNOUNCE_STILL_SORE],
                date=tr.date(_need(facts.checkin_on, "checkin_on", line)),
            ),
            advice=safety.six_week_advice(tr, six),
        )
    raise ValueError(f"no words for {line.value!r}")


def render(tr: Translator, lines: Sequence[Line], facts: PhaseFacts = PhaseFacts()) -> str:
    """One message from the keys, a paragraph each (empty when there is nothing to say)."""
    return "\n\n".join(render_line(tr, line, facts) for line in lines)


def has_checkin_buttons(lines: Sequence[Line]) -> bool:
    """The check-in question travels with its buttons wherever it appears."""
    return Line.CHECKIN_QUESTION in lines


def checkin_buttons(tr: Translator) -> tuple[str, str]:
    """Labels for the check-in answers: less sore, still sore."""
    return tr.p_("button", "Yes, less sore"), tr.p_("button", "Still sore")


def flare_offer_buttons(tr: Translator) -> tuple[str, str]:
    """Labels for the offer after a clear pain rise: back to daily, or stay on plan."""
    return tr.p_("button", "Yes, daily for a while"), tr.p_("button", "No, stay on my plan")


def flare_button(tr: Translator) -> str:
    """The reminder's "flare-up" button: pressing it is taken at once."""
    return tr.p_("button", "😣 Flare-up")
