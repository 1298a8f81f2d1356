"""The habit schedule as a user lives it: habit -> check-in -> maintenance, daily again when needed.

The source plan: daily for 21 days to form a habit; once the low back feels less sore,
three to four times a week. Made precise (PRODUCT.md, "The habit schedule"):

- HABIT: daily until 21 counted days (a day counts when a session is completed that
  local day; missed days extend the phase).
- CHECKIN: the habit is done and "does your low back feel less sore?" is open. Reminders
  stay daily and carry the question with its buttons; /progress offers it too. Left a
  week without an answer, the kinder default applies: stay daily (DAILY) and ask again
  a week later, and the user is told so.
- DAILY: "still sore" (answered, or the unanswered default): daily, the check-in opens
  again on `checkin_on`.
- FLARE: daily again after a flare-up, gently; the check-in opens again on `checkin_on`.
  A flare-up the user reports is taken at once (FLARE_REPORTED); a clear pain rise only
  offers it (`offers_flare`), and the user's yes is FLARE_ACCEPTED.
- MAINTENANCE: the user's chosen weekdays (default four).

`apply` is the one place a transition is decided, for handlers and the reminder
dispatcher alike; `say` chooses what to tell the user (keys, never sentences; the words
are in `bot.views.phases`). Dates are the user's local dates: whoever calls converts
instants first (`bot.domain.schedule.local_today`), so DST never splits or doubles a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "CHECKIN_AGAIN_AFTER_DAYS",
    "CHECKIN_WAIT_DAYS",
    "DAILY_PHASES",
    "DEFAULT_WEEKDAYS",
    "HABIT_DAYS",
    "DayKind",
    "Event",
    "Line",
    "Phase",
    "PhaseState",
    "Reason",
    "Say",
    "Transition",
    "WeekProgress",
    "announcement",
    "apply",
    "checkin_answer_lines",
    "checkin_open",
    "day_kind",
    "habit_day_number",
    "next_practice_day",
    "not_applied_line",
    "offers_flare",
    "phase_from_legacy",
    "progress_header",
    "reminder_weekdays",
    "say",
    "six_week_line",
    "week_progress",
    "weekly_target",
    "weeks_on_target",
]


class Phase(StrEnum):
    """Where the user is in the plan; the value is what gets stored (<= 16 characters)."""

    HABIT = "habit"
    CHECKIN = "checkin"
    DAILY = "daily"  # still sore: daily, check-in again on checkin_on
    FLARE = "flare"  # daily again after a flare-up, check-in again on checkin_on
    MAINTENANCE = "maintenance"


DAILY_PHASES = frozenset({Phase.HABIT, Phase.CHECKIN, Phase.DAILY, Phase.FLARE})

HABIT_DAYS = 21
CHECKIN_AGAIN_AFTER_DAYS = 7  # still sore or a flare-up: ask again a week later
CHECKIN_WAIT_DAYS = 7  # an open check-in waits this long for an answer
# Four days (the top of the source's "three to four times per week"), spread so no
# two sessions are more than one rest day apart: Mon, Wed, Fri, Sun.
DEFAULT_WEEKDAYS: frozenset[int] = frozenset({0, 2, 4, 6})

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PhaseState:
    """A user's phase, the local date it began and, for DAILY and FLARE, when to ask again."""

    phase: Phase
    started_on: date
    checkin_on: date | None = None

    def __post_init__(self) -> None:
        """Accept the stored string ("habit") as well as the enum."""
        object.__setattr__(self, "phase", Phase(self.phase))


class Event(StrEnum):
    """What happened; `apply` decides whether it changes the phase."""

    DAY_START = "day_start"  # a new local day is seen (reminder dispatcher, or any update)
    PRACTICE_COUNTED = "practice_counted"  # a completed session made today count
    LESS_SORE = "less_sore"  # check-in answer
    STILL_SORE = "still_sore"  # check-in answer
    FLARE_REPORTED = "flare_reported"  # the user pressed "flare-up"
    FLARE_ACCEPTED = "flare_accepted"  # the user said yes to the offer after a pain rise


class Reason(StrEnum):
    """Why the phase changed; stored with the change and used to word its announcement."""

    HABIT_COMPLETE = "habit_complete"
    CHECKIN_LESS_SORE = "checkin_less_sore"
    CHECKIN_STILL_SORE = "checkin_still_sore"
    CHECKIN_UNANSWERED = "checkin_unanswered"
    CHECKIN_DUE = "checkin_due"
    FLARE_REPORTED = "flare_reported"
    FLARE_ACCEPTED = "flare_accepted"


@dataclass(frozen=True)
class Transition:
    """A phase change for the caller to persist and announce."""

    old: Phase
    new: PhaseState
    reason: Reason


def _daily_until_checkin(phase: Phase, today: date) -> PhaseState:
    return PhaseState(phase, today, today + timedelta(days=CHECKIN_AGAIN_AFTER_DAYS))


def checkin_open(state: PhaseState) -> bool:
    """Whether a check-in answer is taken now.

    In CHECKIN, and in DAILY (an old check-in button after the unanswered default, or
    an early answer, is still the user's word about their back). Not in FLARE: the
    flare-up is newer news than any check-in button on screen.
    """
    return state.phase in (Phase.CHECKIN, Phase.DAILY)


def apply(state: PhaseState, event: Event, today: date, counted_days: int | None = None) -> Transition | None:
    """The one transition function: the new phase state and its reason, or None.

    `counted_days` (PRACTICE_COUNTED only): distinct local days with a completed session
    since the habit phase began, today included. None means nothing changes: a check-in
    answer when none is open, a flare-up reported in the habit phase (already daily; the
    habit days keep counting), an offer accepted by someone already daily, or an event
    repeated the same day. `not_applied_line` says what to tell the user then.
    """
    new: PhaseState | None = None
    reason: Reason | None = None
    phase = state.phase
    if event is Event.DAY_START:
        if phase is Phase.CHECKIN and (today - state.started_on).days >= CHECKIN_WAIT_DAYS:
            new, reason = _daily_until_checkin(Phase.DAILY, today), Reason.CHECKIN_UNANSWERED
        elif (
            phase in (Phase.DAILY, Phase.FLARE) and state.checkin_on is not None and state.checkin_on <= today
        ):
            new, reason = PhaseState(Phase.CHECKIN, today), Reason.CHECKIN_DUE
    elif event is Event.PRACTICE_COUNTED:
        if phase is Phase.HABIT:
            if counted_days is None or counted_days < 0:
                raise ValueError("PRACTICE_COUNTED needs counted_days >= 0 in the habit phase")
            if counted_days >= HABIT_DAYS:
                new, reason = PhaseState(Phase.CHECKIN, today), Reason.HABIT_COMPLETE
    elif event in (Event.LESS_SORE, Event.STILL_SORE):
        if checkin_open(state):
            if event is Event.LESS_SORE:
                new, reason = PhaseState(Phase.MAINTENANCE, today), Reason.CHECKIN_LESS_SORE
            else:
                new, reason = _daily_until_checkin(Phase.DAILY, today), Reason.CHECKIN_STILL_SORE
    elif event is Event.FLARE_REPORTED:
        if phase is not Phase.HABIT:
            new, reason = _daily_until_checkin(Phase.FLARE, today), Reason.FLARE_REPORTED
    elif event is Event.FLARE_ACCEPTED:
        if offers_flare(state, pain_rising=True):
            new, reason = _daily_until_checkin(Phase.FLARE, today), Reason.FLARE_ACCEPTED
    if new is None or reason is None or new == state:
        return None
    return Transition(phase, new, reason)


def offers_flare(state: PhaseState, pain_rising: bool) -> bool:
    """A clear pain rise (`symptoms.Watch.pain_rising`) offers daily practice again, with a
    question first; only where practice is not daily already (check-in and maintenance)."""
    return pain_rising and state.phase in (Phase.CHECKIN, Phase.MAINTENANCE)


def phase_from_legacy(stored: str, last_reason: str | None) -> Phase:
    """The phase of a row written by the first version, for the database migration.

    The first version kept one "daily" phase for both still-sore and flare-up; the last
    phase change's reason ("flare_up") tells them apart.
    """
    if stored == "daily" and last_reason == "flare_up":
        return Phase.FLARE
    return Phase(stored)


# --- rhythm and counts ---------------------------------------------------------------


def _valid_weekdays(days: Iterable[int]) -> frozenset[int]:
    """Fall back to the default when nothing is chosen, so maintenance never goes silent."""
    chosen = frozenset(days)
    if any(d not in range(7) for d in chosen):
        raise ValueError(f"weekdays must be within 0..6 (Mon..Sun), got {sorted(chosen)}")
    return chosen or DEFAULT_WEEKDAYS


def reminder_weekdays(state: PhaseState, chosen: Iterable[int]) -> frozenset[int] | None:
    """Reminder days for the phase: None (every day) except in maintenance."""
    if state.phase is Phase.MAINTENANCE:
        return _valid_weekdays(chosen)
    return None


def weekly_target(chosen: Iterable[int]) -> int:
    """Sessions a week to aim for in maintenance: one per reminder day the user picked."""
    return len(_valid_weekdays(chosen))


def habit_day_number(counted_days: int, done_today: bool) -> int:
    """The "day N of 21" the user is on, 1..21.

    `counted_days` includes today when `done_today`; otherwise today is the next day to
    count, so it is counted_days + 1.
    """
    if counted_days < 0:
        raise ValueError("counted_days cannot be negative")
    day = counted_days if done_today else counted_days + 1
    return max(1, min(HABIT_DAYS, day))


def _monday(day: date) -> date:
    """Monday of the ISO week of `day` (the same weeks as `streaks.week_start`)."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekProgress:
    """This maintenance week: practice days so far against the week's target.

    `counts_from` is Monday, or the day maintenance started in its first week;
    `first_week` marks that partial week (its target is prorated).
    """

    counts_from: date
    done: int
    target: int
    first_week: bool

    @property
    def met(self) -> bool:
        return self.target > 0 and self.done >= self.target


def _week(
    state: PhaseState, chosen: frozenset[int], days: set[date], monday: date, until: date
) -> WeekProgress:
    start = max(monday, state.started_on)
    first = start > monday
    week_days = [start + timedelta(days=i) for i in range((monday + timedelta(days=6) - start).days + 1)]
    target = sum(1 for d in week_days if d.weekday() in chosen) if first else len(chosen)
    done = sum(1 for d in days if start <= d <= until)
    return WeekProgress(start, done, target, first)


def week_progress(
    state: PhaseState, chosen: Iterable[int], practice_days: Iterable[date], today: date
) -> WeekProgress:
    """ "This week: X of Y" in maintenance, counting only since maintenance began.

    Weeks run Monday to Sunday. The week maintenance starts in is counted from its first
    day against a prorated target: the user's chosen weekdays left in that week, the start
    day included (a Friday start with Mon/Wed/Fri/Sun aims for 2). That is clearer than a
    dead stretch until Monday while reminders already come, and sessions from the daily
    phase before it never count. A first week with no chosen day left has target 0 (the
    view says the first full week starts on Monday).
    """
    if state.phase is not Phase.MAINTENANCE:
        raise ValueError("weekly counts exist only in maintenance")
    days = {d for d in practice_days if state.started_on <= d <= today}
    return _week(state, _valid_weekdays(chosen), days, _monday(today), today)


def weeks_on_target(
    state: PhaseState, chosen: Iterable[int], practice_days: Iterable[date], today: date
) -> int:
    """Consecutive maintenance weeks on target, counting back from last week.

    As `streaks.weeks_met`: the current week is added once it has met its target, but a
    week still in progress never breaks the run. Only weeks since maintenance began count;
    the first, partial week against its prorated target (skipped if that target is 0).
    """
    if state.phase is not Phase.MAINTENANCE:
        raise ValueError("weekly counts exist only in maintenance")
    chosen_days = _valid_weekdays(chosen)
    days = {d for d in practice_days if state.started_on <= d <= today}
    this_monday = _monday(today)
    met = 1 if _week(state, chosen_days, days, this_monday, today).met else 0
    monday = this_monday - timedelta(days=7)
    while monday + timedelta(days=6) >= state.started_on:
        week = _week(state, chosen_days, days, monday, monday + timedelta(days=6))
        if week.target == 0:
            break
        if not week.met:
            break
        met += 1
        monday -= timedelta(days=7)
    return met


def next_practice_day(state: PhaseState, chosen: Iterable[int], after: date) -> date:
    """The next day with practice planned, after `after`: tomorrow in the daily phases."""
    if state.phase is not Phase.MAINTENANCE:
        return after + _ONE_DAY
    chosen_days = _valid_weekdays(chosen)
    day = after + _ONE_DAY
    while day.weekday() not in chosen_days:
        day += _ONE_DAY
    return day


# --- what to say ----------------------------------------------------------------------


class DayKind(StrEnum):
    PRACTICE_DAY = "practice"  # a session is planned today and not done yet
    REST_DAY = "rest"  # maintenance, not one of the chosen weekdays
    SKIPPED = "skipped"  # the user chose "skip today"
    DONE_TODAY = "done"  # today already counts


def day_kind(
    state: PhaseState, chosen: Iterable[int], today: date, done_today: bool, skipped_today: bool
) -> DayKind:
    """The kind of day, before any session now ending: done beats skipped beats rest."""
    if done_today:
        return DayKind.DONE_TODAY
    if skipped_today:
        return DayKind.SKIPPED
    if state.phase is Phase.MAINTENANCE and today.weekday() not in _valid_weekdays(chosen):
        return DayKind.REST_DAY
    return DayKind.PRACTICE_DAY


class Say(StrEnum):
    """The moments that have something to say."""

    REMINDER = "reminder"
    SESSION_END_COUNTED = "session_end_counted"  # completed (4+ of 7): today counts
    SESSION_END_NOT_COUNTED = "session_end_not_counted"  # fewer than 4, or today counted already
    PROGRESS = "progress"  # the /progress next step


class Line(StrEnum):
    """Message keys; `bot.views.phases` has the words for each."""

    # Transition announcements.
    ANNOUNCE_HABIT_COMPLETE = "announce_habit_complete"
    ANNOUNCE_LESS_SORE = "announce_less_sore"
    ANNOUNCE_STILL_SORE = "announce_still_sore"
    ANNOUNCE_CHECKIN_UNANSWERED = "announce_checkin_unanswered"
    ANNOUNCE_CHECKIN_DUE = "announce_checkin_due"
    ANNOUNCE_FLARE_REPORTED = "announce_flare_reported"
    ANNOUNCE_FLARE_ACCEPTED = "announce_flare_accepted"
    # Check-in answers meeting the six-week advice: one message each.
    LESS_SORE_WITH_SIX_WEEK = "less_sore_with_six_week"
    STILL_SORE_WITH_SIX_WEEK = "still_sore_with_six_week"
    # The check-in question; wherever it appears, its buttons come with it.
    CHECKIN_QUESTION = "checkin_question"
    # Flare-ups.
    FLARE_OFFER = "flare_offer"  # after a clear pain rise, with yes/no buttons
    FLARE_OFFER_DECLINED = "flare_offer_declined"
    FLARE_IN_HABIT = "flare_in_habit"  # reported in the habit phase: already daily
    FLARE_ALREADY = "flare_already"  # reported again the same day
    CHECKIN_NOT_OPEN = "checkin_not_open"  # an old check-in button
    # Reminders.
    REMINDER_SNOOZED = "reminder_snoozed"
    REMINDER_HABIT = "reminder_habit"  # day N of 21
    REMINDER_DAILY = "reminder_daily"  # check-in phase
    REMINDER_STILL_SORE = "reminder_still_sore"
    REMINDER_FLARE = "reminder_flare"
    REMINDER_MAINTENANCE = "reminder_maintenance"  # this week: X of Y
    # Session ends.
    SESSION_END_HABIT = "session_end_habit"
    SESSION_END_CHECKIN = "session_end_checkin"
    SESSION_END_STILL_SORE = "session_end_still_sore"
    SESSION_END_FLARE = "session_end_flare"
    SESSION_END_MAINTENANCE = "session_end_maintenance"
    SESSION_END_MAINTENANCE_EXTRA = "session_end_maintenance_extra"  # on a rest day
    SESSION_END_ALREADY_COUNTED = "session_end_already_counted"
    SESSION_END_SHORT = "session_end_short"  # fewer than 4 of 7: saved, not counted
    # /progress: the phase header ...
    HEADER_HABIT = "header_habit"
    HEADER_CHECKIN = "header_checkin"
    HEADER_STILL_SORE = "header_still_sore"
    HEADER_FLARE = "header_flare"
    HEADER_MAINTENANCE = "header_maintenance"
    # ... the six-week suggestion, as the numbers and the phase make it read ...
    SIX_WEEK_ADVICE = "six_week_advice"
    SIX_WEEK_DESPITE_LESS_SORE = "six_week_despite_less_sore"
    # ... and the next step.
    NEXT_FIRST_SESSION = "next_first_session"
    NEXT_HABIT = "next_habit"
    NEXT_DAILY = "next_daily"
    NEXT_FLARE = "next_flare"
    NEXT_MAINTENANCE = "next_maintenance"
    NEXT_REST_DAY = "next_rest_day"
    NEXT_DONE_TODAY = "next_done_today"
    NEXT_DONE_TODAY_MAINTENANCE = "next_done_today_maintenance"
    NEXT_SKIPPED = "next_skipped"
    NEXT_SKIPPED_MAINTENANCE = "next_skipped_maintenance"


_ANNOUNCE: dict[Reason, Line] = {
    Reason.HABIT_COMPLETE: Line.ANNOUNCE_HABIT_COMPLETE,
    Reason.CHECKIN_LESS_SORE: Line.ANNOUNCE_LESS_SORE,
    Reason.CHECKIN_STILL_SORE: Line.ANNOUNCE_STILL_SORE,
    Reason.CHECKIN_UNANSWERED: Line.ANNOUNCE_CHECKIN_UNANSWERED,
    Reason.CHECKIN_DUE: Line.ANNOUNCE_CHECKIN_DUE,
    Reason.FLARE_REPORTED: Line.ANNOUNCE_FLARE_REPORTED,
    Reason.FLARE_ACCEPTED: Line.ANNOUNCE_FLARE_ACCEPTED,
}

_REMINDER: dict[Phase, Line] = {
    Phase.HABIT: Line.REMINDER_HABIT,
    Phase.CHECKIN: Line.REMINDER_DAILY,
    Phase.DAILY: Line.REMINDER_STILL_SORE,
    Phase.FLARE: Line.REMINDER_FLARE,
    Phase.MAINTENANCE: Line.REMINDER_MAINTENANCE,
}

_SESSION_END: dict[Phase, Line] = {
    Phase.HABIT: Line.SESSION_END_HABIT,
    Phase.CHECKIN: Line.SESSION_END_CHECKIN,
    Phase.DAILY: Line.SESSION_END_STILL_SORE,
    Phase.FLARE: Line.SESSION_END_FLARE,
    Phase.MAINTENANCE: Line.SESSION_END_MAINTENANCE,
}

_NEXT: dict[Phase, Line] = {
    Phase.HABIT: Line.NEXT_HABIT,
    Phase.CHECKIN: Line.NEXT_DAILY,
    Phase.DAILY: Line.NEXT_DAILY,
    Phase.FLARE: Line.NEXT_FLARE,
    Phase.MAINTENANCE: Line.NEXT_MAINTENANCE,
}

_HEADER: dict[Phase, Line] = {
    Phase.HABIT: Line.HEADER_HABIT,
    Phase.CHECKIN: Line.HEADER_CHECKIN,
    Phase.DAILY: Line.HEADER_STILL_SORE,
    Phase.FLARE: Line.HEADER_FLARE,
    Phase.MAINTENANCE: Line.HEADER_MAINTENANCE,
}


def say(
    phase: Phase,
    day: DayKind,
    moment: Say,
    *,
    transition: Transition | None = None,
    snoozed: bool = False,
    never_practised: bool = False,
) -> tuple[Line, ...]:
    """What to tell the user at a moment, in order; empty means send nothing.

    `phase` is the phase now (after `transition`, if one just happened). `day` is the
    kind of day before any session now ending. A reminder is sent only on a practice day,
    but an announcement still goes out on other days. The session-end line follows the
    phase the session was done in (the transition's old phase), then the announcement.
    While the check-in is open its question ends every reminder, session end and
    /progress, once.
    """
    if phase is not Phase.MAINTENANCE and day is DayKind.REST_DAY:
        day = DayKind.PRACTICE_DAY  # daily phases have no rest days
    announce = [_ANNOUNCE[transition.reason]] if transition is not None else []
    lines: list[Line] = []
    if moment is Say.REMINDER:
        if day is DayKind.PRACTICE_DAY:
            lines = [Line.REMINDER_SNOOZED] if snoozed else []
            lines += [*announce, _REMINDER[phase]]
        else:
            lines = announce
    elif moment in (Say.SESSION_END_COUNTED, Say.SESSION_END_NOT_COUNTED):
        done_in = transition.old if transition is not None else phase
        if day is DayKind.DONE_TODAY:
            end = Line.SESSION_END_ALREADY_COUNTED
        elif moment is Say.SESSION_END_NOT_COUNTED:
            end = Line.SESSION_END_SHORT
        elif done_in is Phase.MAINTENANCE and day is DayKind.REST_DAY:
            end = Line.SESSION_END_MAINTENANCE_EXTRA
        else:
            end = _SESSION_END[done_in]
        lines = [end, *announce]
    elif moment is Say.PROGRESS:
        if never_practised:
            step = Line.NEXT_FIRST_SESSION
        elif day is DayKind.DONE_TODAY:
            step = Line.NEXT_DONE_TODAY_MAINTENANCE if phase is Phase.MAINTENANCE else Line.NEXT_DONE_TODAY
        elif day is DayKind.SKIPPED:
            step = Line.NEXT_SKIPPED_MAINTENANCE if phase is Phase.MAINTENANCE else Line.NEXT_SKIPPED
        elif day is DayKind.REST_DAY:
            step = Line.NEXT_REST_DAY
        else:
            step = _NEXT[phase]
        lines = [*announce, step]
    if phase is Phase.CHECKIN and lines and Line.CHECKIN_QUESTION not in lines:
        lines.append(Line.CHECKIN_QUESTION)
    return tuple(lines)


def announcement(reason: Reason) -> Line:
    """The announcement of a transition on its own (a user's tap that changed the phase)."""
    return _ANNOUNCE[reason]


def progress_header(phase: Phase) -> Line:
    """The first line of /progress: where the user is in the plan."""
    return _HEADER[phase]


def checkin_answer_lines(transition: Transition, not_improved: bool) -> tuple[Line, ...]:
    """The reply to a check-in answer, reconciled with the six-week rule into one message.

    The self-report decides the phase ("less sore" moves to maintenance whatever the
    numbers). If the pain ratings still say "no clear improvement after about six weeks"
    (`symptoms.six_weeks(...).improved is False`), the advice stays, worded as a
    suggestion inside the same message, never as a contradiction of what the user said.
    Sending it this way also counts as the once-only unprompted six-week notice.
    """
    if transition.reason is Reason.CHECKIN_LESS_SORE:
        return (Line.LESS_SORE_WITH_SIX_WEEK,) if not_improved else (Line.ANNOUNCE_LESS_SORE,)
    if transition.reason is Reason.CHECKIN_STILL_SORE:
        return (Line.STILL_SORE_WITH_SIX_WEEK,) if not_improved else (Line.ANNOUNCE_STILL_SORE,)
    raise ValueError(f"not a check-in answer: {transition.reason.value!r}")


def six_week_line(phase: Phase, not_improved: bool) -> Line | None:
    """The /progress six-week suggestion: in maintenance (the user said "less sore") it
    acknowledges their word and keeps the suggestion; elsewhere the plain advice."""
    if not not_improved:
        return None
    return Line.SIX_WEEK_DESPITE_LESS_SORE if phase is Phase.MAINTENANCE else Line.SIX_WEEK_ADVICE


def not_applied_line(state: PhaseState, event: Event) -> Line | None:
    """What to say when `apply` returned None for a user's own action (None: nothing)."""
    if event is Event.FLARE_REPORTED:
        return Line.FLARE_IN_HABIT if state.phase is Phase.HABIT else Line.FLARE_ALREADY
    if event is Event.FLARE_ACCEPTED:
        return Line.FLARE_ALREADY
    if event in (Event.LESS_SORE, Event.STILL_SORE):
        return Line.CHECKIN_NOT_OPEN
    return None
