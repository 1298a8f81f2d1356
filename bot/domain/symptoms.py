"""The symptom watch: when a change in pain or nerve symptoms calls for the safety re-check.

PRODUCT.md ("Safety", "When symptoms change"). Pain is rated 0-10 before and after each
session (and, if a flow asks, in between). The watch compares a "before" rating with the
user's *recent typical* pain, not their first-ever rating: a first rating of 9 would
otherwise hide every later rise, someone whose pain settled from 6 to 1 and relapses to 5
would go unnoticed, and someone who lives 2 points above their first rating would be
asked the safety questions after every session.

The re-check itself is the emergency tier of `bot.domain.screening`; this module decides
when it is due, and what follows a session whose pain went up. Pure functions over
ratings in chronological order and local dates; the caller stores what happened.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from statistics import median

__all__ = [
    "BASELINE_MIN_RATINGS",
    "BASELINE_WINDOW",
    "IMPROVEMENT_FRACTION",
    "IMPROVEMENT_POINTS",
    "NERVE_TRIGGERS",
    "PAIN_TRIGGERS",
    "RECHECK_EVERY_DAYS",
    "RISE_BEFORE_POINTS",
    "RISE_IN_SESSION_POINTS",
    "SIX_WEEKS_DAYS",
    "FollowUp",
    "FollowUpAction",
    "HurtChoice",
    "HurtResult",
    "SixWeeks",
    "Trigger",
    "Watch",
    "baseline",
    "followup_action",
    "followup_due",
    "hurt_result",
    "on_followup",
    "on_hurt_choice",
    "on_pain_before",
    "on_pain_in_session",
    "pain_went_up",
    "recheck_due",
    "rose_in_session",
    "six_week_notice_due",
    "six_weeks",
    "triggers_before",
]

BASELINE_WINDOW = 7  # the median of the last 7 "before" ratings ...
BASELINE_MIN_RATINGS = 3  # ... once there are 3; until then the first rating
RISE_BEFORE_POINTS = 2  # pain before a session this far above the baseline
RISE_IN_SESSION_POINTS = 3  # pain rising this far within one session
RECHECK_EVERY_DAYS = 3  # at most one re-check per 3 local days (nerve symptoms excepted)
SIX_WEEKS_DAYS = 42
IMPROVEMENT_POINTS = 2  # an improvement is a drop of 2 points ...
IMPROVEMENT_FRACTION = 0.3  # ... or 30% of the starting pain


class Trigger(StrEnum):
    """Why the watch fired; the view words the re-check intro from it."""

    PAIN_ABOVE_USUAL = "pain_above_usual"  # before a session, 2+ above the baseline
    PAIN_ROSE_IN_SESSION = "pain_rose_in_session"  # 3+ within one session
    NEW_NUMBNESS_WEAKNESS = "new_numbness_weakness"  # reported by the user
    PAIN_SPREADING = "pain_spreading"  # further down the leg, reported by the user


PAIN_TRIGGERS = frozenset({Trigger.PAIN_ABOVE_USUAL, Trigger.PAIN_ROSE_IN_SESSION})
# Both reports are signs from the nerve itself, so both bypass the 3-day limit: pain
# spreading further down the leg is what a more irritated nerve root does.
NERVE_TRIGGERS = frozenset({Trigger.NEW_NUMBNESS_WEAKNESS, Trigger.PAIN_SPREADING})


def _check_rating(value: int) -> int:
    if not 0 <= value <= 10:
        raise ValueError(f"a pain rating is 0..10, got {value}")
    return value


def baseline(befores: Sequence[int]) -> float | None:
    """The user's recent typical pain from earlier "before" ratings (oldest first).

    None without any rating; the first rating until there are 3; then the median of the
    last 7 (a median, so one bad day does not move it).
    """
    if not befores:
        return None
    if len(befores) < BASELINE_MIN_RATINGS:
        return float(befores[0])
    return float(median(befores[-BASELINE_WINDOW:]))


def triggers_before(before: int, previous_befores: Sequence[int]) -> frozenset[Trigger]:
    """PAIN_ABOVE_USUAL when `before` is 2+ points above the baseline of the earlier ratings."""
    typical = baseline(previous_befores)
    if typical is not None and _check_rating(before) - typical >= RISE_BEFORE_POINTS:
        return frozenset({Trigger.PAIN_ABOVE_USUAL})
    return frozenset()


def rose_in_session(before: int | None, later: Sequence[int]) -> bool:
    """Pain rose 3+ points within one session: any later rating (mid-session or after)
    against the rating at its start. Without a "before" the first later rating is the start.
    """
    ratings = ([] if before is None else [before]) + list(later)
    if len(ratings) < 2:
        return False
    start = _check_rating(ratings[0])
    return max(_check_rating(r) for r in ratings[1:]) - start >= RISE_IN_SESSION_POINTS


def recheck_due(triggers: Collection[Trigger], today: date, last_recheck_on: date | None) -> bool:
    """Whether the triggers lead to the emergency questions now.

    `last_recheck_on` is the local date the emergency questions were last asked (a full
    screen counts). At most once every 3 days, counted in local dates (asked on the 1st,
    next possible on the 4th), so a morning session is never refused by an hour; a new
    nerve symptom (NERVE_TRIGGERS) is always asked about.
    """
    if not triggers:
        return False
    if NERVE_TRIGGERS & set(triggers):
        return True
    return last_recheck_on is None or (today - last_recheck_on).days >= RECHECK_EVERY_DAYS


@dataclass(frozen=True)
class Watch:
    """What the watch saw: the triggers (possibly none) and whether to re-check now."""

    triggers: frozenset[Trigger]
    recheck: bool

    @property
    def pain_rising(self) -> bool:
        """A clear pain rise (what may offer a return to daily practice)."""
        return bool(self.triggers & PAIN_TRIGGERS)


def _watch(triggers: frozenset[Trigger], today: date, last_recheck_on: date | None) -> Watch:
    return Watch(triggers, recheck_due(triggers, today, last_recheck_on))


def on_pain_before(
    before: int, previous_befores: Sequence[int], today: date, last_recheck_on: date | None
) -> Watch:
    """The "before" rating of a session has been given."""
    return _watch(triggers_before(before, previous_befores), today, last_recheck_on)


def on_pain_in_session(
    before: int | None, later: Sequence[int], today: date, last_recheck_on: date | None
) -> Watch:
    """A mid-session or "after" rating has been given (`later`: this session's, in order)."""
    fired = frozenset({Trigger.PAIN_ROSE_IN_SESSION}) if rose_in_session(before, later) else frozenset()
    return _watch(fired, today, last_recheck_on)


# --- "stop - it hurts" ------------------------------------------------------------------


class HurtChoice(StrEnum):
    """The choices after "stop - it hurts" (the exercise is logged stopped-for-pain first)."""

    GO_ON = "go_on"
    END_SESSION = "end"
    NUMBNESS_WEAKNESS = "numb"
    SPREADING = "spread"


@dataclass(frozen=True)
class HurtResult:
    ends_session: bool
    trigger: Trigger | None


_HURT: dict[HurtChoice, HurtResult] = {
    HurtChoice.GO_ON: HurtResult(False, None),
    HurtChoice.END_SESSION: HurtResult(True, None),
    HurtChoice.NUMBNESS_WEAKNESS: HurtResult(True, Trigger.NEW_NUMBNESS_WEAKNESS),
    # Spreading pain ends the session: rest, and a doctor if it has not settled in a day.
    HurtChoice.SPREADING: HurtResult(True, Trigger.PAIN_SPREADING),
}


def hurt_result(choice: HurtChoice | str) -> HurtResult:
    return _HURT[HurtChoice(choice)]


def on_hurt_choice(choice: HurtChoice | str, today: date, last_recheck_on: date | None) -> Watch:
    """A choice after "stop - it hurts": the nerve-symptom choices re-check at once."""
    trigger = hurt_result(choice).trigger
    return _watch(frozenset() if trigger is None else frozenset({trigger}), today, last_recheck_on)


# --- after a session whose pain went up ---------------------------------------------------


def pain_went_up(before: int | None, after: int | None) -> bool:
    """Any rise from before to after: say soreness should settle within 24 hours and
    ask how it is at the next reminder."""
    return before is not None and after is not None and after > before


def followup_due(went_up_on: date | None, answered: bool, today: date) -> bool:
    """Whether this reminder carries "how is it now?" about a session whose pain went up.

    True on any day after `went_up_on` while unanswered. The question rides on the next
    reminder only: the caller clears `went_up_on` once a reminder has carried it (its
    buttons still work later), and sets it again after another session whose pain went up.
    """
    return went_up_on is not None and not answered and today > went_up_on


class FollowUp(StrEnum):
    """Answers to the follow-up question."""

    SETTLED = "settled"
    STILL_SORE = "sore"
    WORSE = "worse"
    NUMBNESS_WEAKNESS = "numb"  # new numbness or weakness
    SPREADING = "spread"  # pain spreading further down the leg


class FollowUpAction(StrEnum):
    NONE = "none"  # carry on
    GO_GENTLY = "gently"  # lighter session; a doctor if it does not ease in a few days
    REST = "rest"  # rest today; a doctor if not easing by tomorrow
    RECHECK = "recheck"  # a nerve symptom: the emergency questions now, whatever the 3-day limit


_FOLLOWUP: dict[FollowUp, FollowUpAction] = {
    FollowUp.SETTLED: FollowUpAction.NONE,
    FollowUp.STILL_SORE: FollowUpAction.GO_GENTLY,
    FollowUp.WORSE: FollowUpAction.REST,
    FollowUp.NUMBNESS_WEAKNESS: FollowUpAction.RECHECK,
    FollowUp.SPREADING: FollowUpAction.RECHECK,
}


def followup_action(answer: FollowUp | str) -> FollowUpAction:
    return _FOLLOWUP[FollowUp(answer)]


def on_followup(answer: FollowUp | str, today: date, last_recheck_on: date | None) -> Watch:
    """A follow-up answer: the two nerve-symptom answers re-check at once, as in "stop - it hurts"."""
    trigger = {
        FollowUp.NUMBNESS_WEAKNESS: Trigger.NEW_NUMBNESS_WEAKNESS,
        FollowUp.SPREADING: Trigger.PAIN_SPREADING,
    }.get(FollowUp(answer))
    return _watch(frozenset() if trigger is None else frozenset({trigger}), today, last_recheck_on)


# --- six weeks without improvement ------------------------------------------------------


@dataclass(frozen=True)
class SixWeeks:
    """The six-week comparison: the starting pain against recent typical pain."""

    start: int
    recent: float
    improved: bool


def _improved(start: int, recent: float) -> bool:
    drop = start - recent
    return drop >= IMPROVEMENT_POINTS - 1e-9 or drop >= IMPROVEMENT_FRACTION * start - 1e-9


def six_weeks(ratings: Sequence[tuple[date, int]]) -> SixWeeks | None:
    """After about six weeks of practice: has pain come down by 2 points or 30%?

    `ratings` are (local date, "before" rating), oldest first. None until the ratings span
    42 days (first to latest), so the rule judges practice, not the calendar: a user who
    stopped rating keeps the verdict of their last practice. The start is the first
    rating; recent pain is the median of the last 7 ratings after it, as in `baseline`.
    """
    if len(ratings) < 2:
        return None
    first_day, start = ratings[0]
    if (ratings[-1][0] - first_day).days < SIX_WEEKS_DAYS:
        return None
    recent = float(median([r for _, r in ratings[1:]][-BASELINE_WINDOW:]))
    return SixWeeks(start, recent, _improved(start, recent))


def six_week_notice_due(ratings: Sequence[tuple[date, int]], already_sent: bool) -> bool:
    """Send the see-a-doctor suggestion unprompted: the first time the rule holds, once.

    /progress repeats it whenever `six_weeks(...)` says not improved.
    """
    result = six_weeks(ratings)
    return not already_sent and result is not None and not result.improved
