"""The habit schedule as a small state machine: habit -> check-in -> maintenance.

The source plan is "daily for 21 days to form a habit, then three to four times
a week". These functions only decide transitions; storing the state, sending
messages and scheduling reminders are the caller's job, so the rules stay
testable without Telegram or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "CHECKIN_AGAIN_AFTER_DAYS",
    "DEFAULT_WEEKDAYS",
    "FLARE_POINTS",
    "HABIT_DAYS",
    "REASONS",
    "Phase",
    "PhaseState",
    "Transition",
    "after_practice",
    "answer_checkin",
    "flare_up",
    "habit_day_number",
    "on_day_start",
    "pain_rise_is_flare",
    "phase_change_message",
    "reminder_weekdays",
    "weekly_target",
]


class Phase(StrEnum):
    """Where the user is in the plan; the value is what gets stored."""

    HABIT = "habit"  # daily until 21 counted days
    CHECKIN = "checkin"  # habit done; waiting for "less sore?" (still daily reminders)
    DAILY = "daily"  # still sore or flare-up: daily, with a new check-in on checkin_on
    MAINTENANCE = "maintenance"  # the user's chosen weekdays


HABIT_DAYS = 21
CHECKIN_AGAIN_AFTER_DAYS = 7
# Four days (the top of the source's "three to four times per week"), spread so
# no two sessions are more than one rest day apart: Mon, Wed, Fri, Sun.
DEFAULT_WEEKDAYS: frozenset[int] = frozenset({0, 2, 4, 6})
# A rise of this many points over the first pain rating counts as a flare-up
# (and re-asks the emergency questions).
FLARE_POINTS = 2

REASONS = (
    "habit_complete",
    "checkin_less_sore",
    "checkin_still_sore",
    "checkin_due",
    "flare_up",
)


@dataclass(frozen=True)
class PhaseState:
    """A user's phase, when it began (local date) and, for DAILY, when to ask again."""

    phase: Phase
    started_on: date
    checkin_on: date | None = None

    def __post_init__(self) -> None:
        """Accept the stored string ("habit") as well as the enum."""
        object.__setattr__(self, "phase", Phase(self.phase))


@dataclass(frozen=True)
class Transition:
    """A phase change for the caller to persist and announce; `reason` is one of REASONS."""

    old: Phase
    new: PhaseState
    reason: str


def _valid_weekdays(days: frozenset[int]) -> frozenset[int]:
    """Fall back to the default when nothing is chosen, so maintenance never goes silent."""
    if any(d not in range(7) for d in days):
        raise ValueError(f"weekdays must be within 0..6 (Mon..Sun), got {sorted(days)}")
    return days or DEFAULT_WEEKDAYS


def reminder_weekdays(state: PhaseState, chosen: frozenset[int]) -> frozenset[int] | None:
    """Reminder days for the phase: None (every day) except in maintenance."""
    if state.phase == Phase.MAINTENANCE:
        return _valid_weekdays(chosen)
    return None


def weekly_target(chosen: frozenset[int]) -> int:
    """Sessions a week to aim for in maintenance: one per reminder day the user picked."""
    return len(_valid_weekdays(chosen))


def after_practice(state: PhaseState, counted_days: int, today: date) -> Transition | None:
    """After a completed session: the 21st counted habit day ends the habit phase.

    `counted_days` is the number of distinct local days with a completed session
    in this habit phase, today included; missed days simply extend the phase.
    """
    if state.phase == Phase.HABIT and counted_days >= HABIT_DAYS:
        return Transition(Phase.HABIT, PhaseState(Phase.CHECKIN, today), "habit_complete")
    return None


def on_day_start(state: PhaseState, today: date) -> Transition | None:
    """At the start of a local day: a DAILY user whose week is up gets asked again."""
    if state.phase == Phase.DAILY and state.checkin_on is not None and state.checkin_on <= today:
        return Transition(Phase.DAILY, PhaseState(Phase.CHECKIN, today), "checkin_due")
    return None


def answer_checkin(state: PhaseState, less_sore: bool, today: date) -> Transition:
    """Apply the answer to "does your low back feel less sore?".

    Accepted in CHECKIN, and in DAILY so a user can answer an early re-ask.
    HABIT and MAINTENANCE raise ValueError: a stale button must not skip the
    habit phase or restart maintenance (flare_up covers "worse again").
    """
    if state.phase not in (Phase.CHECKIN, Phase.DAILY):
        raise ValueError(f"no check-in is open in phase {state.phase.value!r}")
    if less_sore:
        return Transition(state.phase, PhaseState(Phase.MAINTENANCE, today), "checkin_less_sore")
    again = today + timedelta(days=CHECKIN_AGAIN_AFTER_DAYS)
    return Transition(state.phase, PhaseState(Phase.DAILY, today, again), "checkin_still_sore")


def flare_up(state: PhaseState, today: date) -> Transition | None:
    """Offer daily practice again after a flare-up; None if the user is already daily."""
    if state.phase not in (Phase.MAINTENANCE, Phase.CHECKIN):
        return None
    again = today + timedelta(days=CHECKIN_AGAIN_AFTER_DAYS)
    return Transition(state.phase, PhaseState(Phase.DAILY, today, again), "flare_up")


def pain_rise_is_flare(first_rating: int | None, latest: int) -> bool:
    """A clear rise over the first rating (>= FLARE_POINTS) is treated as a flare-up."""
    if first_rating is None:
        return False
    return latest - first_rating >= FLARE_POINTS


def habit_day_number(counted_days: int, done_today: bool) -> int:
    """The "day N of 21" the user is on, 1..21.

    `counted_days` includes today when `done_today`; otherwise today is the next
    day to count, so it is counted_days + 1.
    """
    if counted_days < 0:
        raise ValueError("counted_days cannot be negative")
    day = counted_days if done_today else counted_days + 1
    return max(1, min(HABIT_DAYS, day))


_MESSAGES = {
    "habit_complete": (
        "That's 21 days of stretching - the habit is yours now; "
        "does your low back feel less sore than when you started?"
    ),
    "checkin_less_sore": (
        "Great to hear - from now on a few sessions a week on your chosen days "
        "will keep your back in good shape."
    ),
    "checkin_still_sore": (
        "Thanks for telling me - let's keep stretching every day and check in again in a week."
    ),
    "checkin_due": "It's been a week of daily stretching - does your low back feel less sore now?",
    "flare_up": (
        "Sorry your back is flaring up - let's go gently back to daily stretches "
        "for a week and then see how you feel."
    ),
}


def phase_change_message(t: Transition) -> str:
    """One short, encouraging sentence announcing the change (the plan never scolds)."""
    try:
        return _MESSAGES[t.reason]
    except KeyError:
        raise ValueError(f"unknown transition reason: {t.reason!r}") from None
