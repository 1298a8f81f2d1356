"""The red-flag screen as data: three tiers, one yes/no question per sign, asked in a fixed order.

People rarely mention these signs unless asked directly, so the screen asks each one.
This module holds keys, tiers and rules only; the words live in `bot.views.safety`.

Tiers (PRODUCT.md, "Safety"):
- EMERGENCY: possible cauda equina signs. A yes ends the screen at once; the program is
  stopped and the user is told to go to the emergency department or call the local
  emergency number now.
- DOCTOR_TODAY: weakness in one leg or foot that is getting worse.
- DOCTOR_FIRST: signs worth a doctor's check before starting exercise.
Either doctor tier pauses the program until the user says a clinician has cleared them.

A screen is asked in *rounds*: the full screen (onboarding, or "re-do the safety
questions"), the re-check (the emergency tier again when symptoms change, see
`bot.domain.symptoms`), and, for users screened before this version, an update round
that asks only what they were never asked (see `migrate`). `next_question` and `outcome`
take the answers given *in the current round* and the round's questions.

After a doctor-tier yes the round goes on: the remaining questions are still asked.
Because the order is emergency first, every emergency question has already been
answered "no" by then, so what remains are only doctor-tier questions, and asking them
(a) gives the clinician the whole picture in one visit (the answers go to /report),
(b) means a clinician's clearance covers every sign, instead of a later question
pausing the user again right after they were cleared, and
(c) costs a paused user a few taps and no risk: nothing urgent is waiting behind them
(a DOCTOR_TODAY yes may be acknowledged at once, and the pause message comes at the
end of the round). Every answer given is kept either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "OLD_KEY_MAP",
    "QUESTIONS",
    "Carry",
    "Migration",
    "OldKey",
    "Outcome",
    "Question",
    "ScreenStatus",
    "Tier",
    "WayBack",
    "after_way_back",
    "answers_in_order",
    "emergency_questions",
    "full_screen",
    "is_stopped",
    "migrate",
    "next_question",
    "outcome",
    "question",
    "recheck_questions",
    "status_after",
    "unanswered",
    "ways_back",
]


class Tier(StrEnum):
    """How urgent a yes is; the value is what gets stored with each answer."""

    EMERGENCY = "emergency"
    DOCTOR_TODAY = "doctor_today"
    DOCTOR_FIRST = "doctor_first"


@dataclass(frozen=True)
class Question:
    """One sign, asked as one yes/no question. `key` is stable: it is stored with the answer."""

    key: str
    tier: Tier


# The fixed order: emergency signs first, then the doctor tiers by urgency.
QUESTIONS: tuple[Question, ...] = (
    # Emergency now (cauda equina signs).
    Question("saddle_numbness", Tier.EMERGENCY),  # numbness/tingling: genitals, back passage, inner thighs
    Question("bladder", Tier.EMERGENCY),  # new trouble starting, controlling or feeling when peeing
    Question("bowel", Tier.EMERGENCY),  # new loss of control or feeling of the bowels
    Question("sexual_function", Tier.EMERGENCY),  # new problems with sexual function or genital feeling
    Question("both_legs_new", Tier.EMERGENCY),  # sciatica that has newly spread to both legs
    Question("both_legs_weakness", Tier.EMERGENCY),  # both legs weak or numb, severe or worsening
    # See a doctor today.
    Question("one_leg_weakness", Tier.DOCTOR_TODAY),  # one leg or foot getting weaker (foot drop)
    # See a doctor before starting.
    Question("fever", Tier.DOCTOR_FIRST),  # fever or feeling unwell with the back pain
    Question("cancer", Tier.DOCTOR_FIRST),  # a history of cancer
    Question("weight_loss", Tier.DOCTOR_FIRST),  # unexplained weight loss
    Question("injury", Tier.DOCTOR_FIRST),  # a recent serious fall or injury
    Question("immune", Tier.DOCTOR_FIRST),  # long-term steroid tablets, weak immune system, injecting drugs
    Question("osteoporosis", Tier.DOCTOR_FIRST),
    Question("age_onset", Tier.DOCTOR_FIRST),  # back pain that first started before 20 or after 50
    Question("constant_pain", Tier.DOCTOR_FIRST),  # constant, eased by no position or rest, or wakes nightly
)

_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


def question(key: str) -> Question:
    """The question for a stored key; KeyError for a key this version does not ask."""
    return _BY_KEY[key]


def full_screen() -> tuple[Question, ...]:
    """Every question, in order: onboarding and "re-do the safety questions"."""
    return QUESTIONS


def emergency_questions() -> tuple[Question, ...]:
    return tuple(q for q in QUESTIONS if q.tier is Tier.EMERGENCY)


def recheck_questions() -> tuple[Question, ...]:
    """What a re-check asks when symptoms change: the emergency tier, in order."""
    return emergency_questions()


def unanswered(known: Iterable[str], questions: Sequence[Question] = QUESTIONS) -> tuple[Question, ...]:
    """The questions (in order) whose key is not among `known`: an update round's questions."""
    seen = set(known)
    return tuple(q for q in questions if q.key not in seen)


def _emergency_yes(answers: Mapping[str, bool], questions: Sequence[Question]) -> bool:
    return any(answers.get(q.key) is True for q in questions if q.tier is Tier.EMERGENCY)


def next_question(answers: Mapping[str, bool], questions: Sequence[Question] = QUESTIONS) -> Question | None:
    """The next question of the round, or None when the round is over.

    Over means: an emergency question was answered yes (the screen stops there), or every
    question has an answer. A doctor-tier yes does not end the round (see the module
    docstring). Answers to keys outside `questions` are ignored.
    """
    if _emergency_yes(answers, questions):
        return None
    return next((q for q in questions if q.key not in answers), None)


class Outcome(StrEnum):
    """Where a round stands."""

    IN_PROGRESS = "in_progress"
    CLEAR = "clear"
    EMERGENCY = "emergency"
    DOCTOR_TODAY = "doctor_today"
    DOCTOR_FIRST = "doctor_first"


def outcome(answers: Mapping[str, bool], questions: Sequence[Question] = QUESTIONS) -> Outcome:
    """The round's result: the most urgent tier answered yes, once the round is over."""
    if _emergency_yes(answers, questions):
        return Outcome.EMERGENCY
    if next_question(answers, questions) is not None:
        return Outcome.IN_PROGRESS
    tiers = {q.tier for q in questions if answers.get(q.key) is True}
    if Tier.DOCTOR_TODAY in tiers:
        return Outcome.DOCTOR_TODAY
    if Tier.DOCTOR_FIRST in tiers:
        return Outcome.DOCTOR_FIRST
    return Outcome.CLEAR


def answers_in_order(answers: Mapping[str, bool]) -> list[tuple[Question, bool]]:
    """Known answers in screen order, for /export and the clinician's report."""
    return [(q, answers[q.key]) for q in QUESTIONS if q.key in answers]


# --- status --------------------------------------------------------------------------


class ScreenStatus(StrEnum):
    """The user's safety status; the value is what gets stored (at most 16 characters)."""

    PENDING = "pending"  # a full or update round is under way; no sessions until it ends
    RECHECK = "recheck"  # the emergency questions again, after a change in symptoms
    CLEAR = "clear"
    EMERGENCY = "emergency"  # stopped: urgent help now
    DOCTOR_TODAY = "doctor_today"  # paused until a clinician has cleared them
    DOCTOR_FIRST = "doctor_first"  # paused until a clinician has cleared them


class WayBack(StrEnum):
    """The explicit ways out of a stop; nothing else (free text, old buttons) leaves it."""

    REDO_SCREEN = "redo"
    CLINICIAN_CLEARED = "cleared"


_STOPPED = (ScreenStatus.EMERGENCY, ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST)


def is_stopped(status: ScreenStatus | str) -> bool:
    """True while every message and button must lead to the stop's own message."""
    return ScreenStatus(status) in _STOPPED


def ways_back(status: ScreenStatus | str) -> tuple[WayBack, ...]:
    """The ways out offered with a stop, in the order they are shown.

    A doctor-tier pause is lifted by "a clinician has cleared me" (PRODUCT.md); re-doing
    the screen is there for a mistaken tap. The emergency stop offers only the re-do:
    its answers must be asked again once a doctor has seen them, not waved through.
    """
    status = ScreenStatus(status)
    if status is ScreenStatus.EMERGENCY:
        return (WayBack.REDO_SCREEN,)
    if status in (ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST):
        return (WayBack.CLINICIAN_CLEARED, WayBack.REDO_SCREEN)
    return ()


def after_way_back(
    status: ScreenStatus | str, way: WayBack, never_asked: Sequence[Question] = ()
) -> ScreenStatus | None:
    """The status after the user takes a way back, or None if that way is not open to them.

    None means: show the stop's message again (an old or forged button). A clearance leads
    to CLEAR, or to PENDING when `never_asked` lists questions this user was never asked
    (users screened by the first version: see `migrate`). A re-do starts a full round.
    """
    if way not in ways_back(status):
        return None
    if way is WayBack.REDO_SCREEN:
        return ScreenStatus.PENDING
    return ScreenStatus.PENDING if never_asked else ScreenStatus.CLEAR


def status_after(result: Outcome, current: ScreenStatus | str) -> ScreenStatus:
    """The status once a round reaches `result`; IN_PROGRESS keeps the current one."""
    if result is Outcome.IN_PROGRESS:
        return ScreenStatus(current)
    return ScreenStatus(result.value)


# --- migration from the first version --------------------------------------------------


class Carry(StrEnum):
    """What an old answer says about the new question(s) it maps to."""

    BOTH = "both"  # same sign, same words: yes and no both carry over
    NO_ONLY = "no_only"  # the old question was broader: "no" answers the new ones, "yes" does not say which


@dataclass(frozen=True)
class OldKey:
    old: str
    new: tuple[str, ...]
    carry: Carry


# Old key -> new keys. Keys whose meaning is unchanged are kept as they were.
OLD_KEY_MAP: dict[str, OldKey] = {
    m.old: m
    for m in (
        OldKey("saddle_numbness", ("saddle_numbness",), Carry.BOTH),
        # "trouble starting, controlling or feeling when you pee, or lost control of your bowels":
        # a no covers the bladder question; bowel *feeling* was never asked, so "bowel" is new.
        OldKey("bladder_bowel", ("bladder",), Carry.NO_ONLY),
        # "sciatica in both legs" had no "new": a no means not newly in both legs; a yes may be old.
        OldKey("both_legs", ("both_legs_new",), Carry.NO_ONLY),
        # "weakness or numbness in your legs that is severe or getting worse": a no covers
        # both legs and one leg; a yes does not say which.
        OldKey("leg_weakness", ("both_legs_weakness", "one_leg_weakness"), Carry.NO_ONLY),
        OldKey("fever", ("fever",), Carry.BOTH),
        OldKey("cancer", ("cancer",), Carry.BOTH),
        OldKey("weight_loss", ("weight_loss",), Carry.BOTH),
        OldKey("injury", ("injury",), Carry.BOTH),
        # "worst at night or when lying down" is common in ordinary sciatica and is not
        # "constant pain no rest eases, or waking every night": it answers nothing now.
        OldKey("night_pain", (), Carry.BOTH),
    )
}

_OLD_STATUSES = ("pending", "rescreen", "clear", "emergency", "see_doctor")


@dataclass(frozen=True)
class Migration:
    """An existing user's safety state under this version.

    `known`: what the old answers tell about new keys (for the record and to skip them).
    `to_ask`: the questions their next round asks, in order (for a paused user, the round
    after they are cleared or re-do the screen).
    """

    status: ScreenStatus
    known: dict[str, bool]
    to_ask: tuple[str, ...]


def _carried(old_answers: Mapping[str, bool]) -> dict[str, bool]:
    known: dict[str, bool] = {}
    for old, yes in old_answers.items():
        mapping = OLD_KEY_MAP.get(old)
        if mapping is None:
            raise ValueError(f"unknown old screening key: {old!r}")
        if yes and mapping.carry is Carry.NO_ONLY:
            continue
        for key in mapping.new:
            known[key] = yes
    return known


def migrate(old_status: str, old_answers: Mapping[str, bool]) -> Migration:
    """Map a first-version user (stored status, latest answer per old key) onto this version.

    Never lifts a stop: "emergency" stays EMERGENCY and "see_doctor" stays paused
    (DOCTOR_FIRST: the old doctor tier held only before-starting signs). A user who was
    clear has questions they were never asked (new signs), so they become PENDING and are
    asked only those before their next session; one whose old answers include an
    emergency yes despite being clear (inconsistent data) is asked the full screen.
    A screen in progress continues with the questions not yet answered; a re-check in
    progress asks the emergency tier afresh, then whatever was never asked.
    """
    if old_status not in _OLD_STATUSES:
        raise ValueError(f"unknown old screening status: {old_status!r}")
    known = _carried(old_answers)
    never = tuple(q.key for q in unanswered(known))
    if old_status == "emergency":
        return Migration(ScreenStatus.EMERGENCY, known, tuple(q.key for q in QUESTIONS))
    if old_status == "see_doctor":
        return Migration(ScreenStatus.DOCTOR_FIRST, known, never)
    if old_status == "rescreen":
        fresh = [q.key for q in emergency_questions()]
        rest = tuple(k for k in never if k not in fresh)
        return Migration(ScreenStatus.PENDING, known, (*fresh, *rest))
    if _emergency_yes(known, QUESTIONS):
        return Migration(ScreenStatus.PENDING, known, tuple(q.key for q in QUESTIONS))
    if old_status == "clear" and not never:
        return Migration(ScreenStatus.CLEAR, known, ())
    return Migration(ScreenStatus.PENDING, known, never)
