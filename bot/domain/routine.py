"""The seven-exercise routine as data: facts from the source article, no sentences.

The domain says *what* each step is (exercise, side, dose, variant, which leg works);
the words for it live in `bot/views/exercises.py`, through the message catalogs, and the
drawings in `bot/domain/poses/*.toml`. Nothing here imports Telegram or a Translator.

Sides are named by the leg that works: in step ("clam_shell", LEFT) the left knee lifts,
so the user lies on the right side. Result rows are keyed by (exercise key, side value),
which is why the side values stay the plain strings "left", "right" and "both".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DoseKind(StrEnum):
    HOLD = "hold"  # seconds, the bot runs a timer
    REPS = "reps"
    BREATHS = "breaths"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"

    @property
    def other(self) -> Side:
        """The other leg (BOTH stays BOTH)."""
        if self is Side.LEFT:
            return Side.RIGHT
        if self is Side.RIGHT:
            return Side.LEFT
        return Side.BOTH


class Position(StrEnum):
    """The body's starting position, which decides how a side is said ("lying on your right side")."""

    BACK = "back"
    SEATED = "seated"
    STANDING = "standing"
    SIDE_LYING = "side_lying"


class Equipment(StrEnum):
    MAT = "mat"
    BAND = "band"  # a resistance band


class Variant(StrEnum):
    """How an exercise is done: as written, or (5 and 7) without a band, same movement, body weight."""

    DEFAULT = "default"
    NO_BAND = "no_band"


# The hold lengths offered for a ranged hold: its ends and the middle, rounded to 5 s.
_HOLD_STEP_S = 5


@dataclass(frozen=True)
class Dose:
    kind: DoseKind
    low: int
    high: int

    @property
    def timed(self) -> bool:
        return self.kind is DoseKind.HOLD

    @property
    def ranged(self) -> bool:
        return self.high != self.low

    @property
    def timer_seconds(self) -> int:
        """The hold the timer runs when the user has chosen nothing: the low end, which a beginner manages."""
        return self.low

    def hold_choices(self) -> tuple[int, ...]:
        """The hold lengths a user may pick: (30, 45, 60) for 30-60 s; one value for a fixed hold; none
        for a dose that is not timed."""
        if not self.timed:
            return ()
        if not self.ranged:
            return (self.low,)
        middle = round((self.low + self.high) / 2 / _HOLD_STEP_S) * _HOLD_STEP_S
        return tuple(sorted({self.low, middle, self.high}))

    def hold_seconds(self, chosen: int | None = None) -> int:
        """The timer's seconds for the user's chosen length.

        None (never chosen) gives the shortest; a stored choice that no longer fits this dose
        (the range changed, a bad value) snaps to the nearest offered length rather than failing."""
        if not self.timed:
            raise ValueError(f"a {self.kind} dose has no timer")
        if chosen is None:
            return self.low
        return min(self.hold_choices(), key=lambda offered: (abs(offered - chosen), offered))


@dataclass(frozen=True)
class Exercise:
    number: int
    key: str
    dose: Dose
    per_side: bool
    position: Position
    equipment: tuple[Equipment, ...]
    # Variants the exercise can be shown and done in; DEFAULT first.
    variants: tuple[Variant, ...] = (Variant.DEFAULT,)
    # The dose is held in a finishing position reached after some movement (exercise 6).
    finish: str | None = None
    # A harder finishing position offered only to those who find the finish easy.
    option: str | None = None
    # Seconds to press gently at each new angle (the muscle-energy part of exercise 6).
    press_seconds: int | None = None

    @property
    def sides(self) -> tuple[Side, ...]:
        return (Side.LEFT, Side.RIGHT) if self.per_side else (Side.BOTH,)

    @property
    def uses_band(self) -> bool:
        return Equipment.BAND in self.equipment

    def variant_for(self, has_band: bool) -> Variant:
        """The variant a user does: without a band, the no-band form where there is one."""
        if not has_band and Variant.NO_BAND in self.variants:
            return Variant.NO_BAND
        return Variant.DEFAULT

    def equipment_for(self, variant: Variant) -> tuple[Equipment, ...]:
        if variant is Variant.NO_BAND:
            return tuple(item for item in self.equipment if item is not Equipment.BAND)
        return self.equipment


_HOLD = DoseKind.HOLD
_MAT = (Equipment.MAT,)
_BAND_VARIANTS = (Variant.DEFAULT, Variant.NO_BAND)

ROUTINE: tuple[Exercise, ...] = (
    Exercise(1, "knees_to_chest", Dose(_HOLD, 20, 20), True, Position.BACK, _MAT),
    Exercise(2, "piriformis_lying", Dose(_HOLD, 30, 30), True, Position.BACK, _MAT),
    Exercise(3, "seated_hip", Dose(_HOLD, 30, 60), True, Position.SEATED, ()),
    Exercise(4, "bridge", Dose(DoseKind.BREATHS, 5, 10), False, Position.BACK, _MAT),
    Exercise(
        5,
        "hip_abduction_band",
        Dose(DoseKind.REPS, 15, 20),
        True,
        Position.STANDING,
        (Equipment.BAND,),
        variants=_BAND_VARIANTS,
    ),
    Exercise(
        6,
        "hip_rotator_met",
        Dose(_HOLD, 20, 20),
        True,
        Position.BACK,
        _MAT,
        finish="figure_4",
        option="pigeon",
        press_seconds=5,
    ),
    Exercise(
        7,
        "clam_shell",
        Dose(DoseKind.REPS, 15, 20),
        True,
        Position.SIDE_LYING,
        (Equipment.MAT, Equipment.BAND),
        variants=_BAND_VARIANTS,
    ),
)

BY_KEY: dict[str, Exercise] = {exercise.key: exercise for exercise in ROUTINE}
# A session counts for the day when at least this many exercises are done.
COUNTED_MIN_DONE = 4


def needs_band() -> bool:
    """Whether any exercise uses a band (so onboarding asks about one)."""
    return any(exercise.uses_band for exercise in ROUTINE)


@dataclass(frozen=True)
class Step:
    """One screen of a session: an exercise on one side."""

    index: int
    exercise: Exercise
    side: Side

    @property
    def working(self) -> Side:
        """The leg that works on this step (BOTH for the bridge).

        Per exercise: the knee pulled in (1), the crossed leg (2, 3), the leg that lifts (5, 7; in 7
        the user lies on the other side), the leg raised, pressed and crossed (6)."""
        return self.side

    @property
    def resting(self) -> Side:
        """The other leg: the one that slides long (1), carries the crossed ankle (2, 6), stays straight
        (3), stands (5), or lies underneath (7, so it names the side the user lies on)."""
        return self.side.other

    @property
    def first_side(self) -> bool:
        """True for an exercise's first (or only) side: the step that shows the whole card."""
        return self.side is self.exercise.sides[0]

    @property
    def second_side(self) -> bool:
        return self.exercise.per_side and not self.first_side


def _flatten() -> tuple[Step, ...]:
    steps: list[Step] = []
    for exercise in ROUTINE:
        for side in exercise.sides:
            steps.append(Step(len(steps), exercise, side))
    return tuple(steps)


STEPS: tuple[Step, ...] = _flatten()


def next_exercise_step(index: int) -> int:
    """The first step of the exercise after the one at `index` (len(STEPS) if none)."""
    key = STEPS[index].exercise.key
    for step in STEPS[index + 1 :]:
        if step.exercise.key != key:
            return step.index
    return len(STEPS)


def exercise_outcomes(results: dict[tuple[str, str], str]) -> dict[str, str]:
    """Fold per-side results into one outcome per exercise.

    An exercise is done when every side is done; stopped for pain when any side was;
    otherwise skipped (including sides never reached). A no-band variant counts the same."""
    outcomes: dict[str, str] = {}
    for exercise in ROUTINE:
        sides = [results.get((exercise.key, side)) for side in exercise.sides]
        if all(outcome == "done" for outcome in sides):
            outcomes[exercise.key] = "done"
        elif "stopped_pain" in sides:
            outcomes[exercise.key] = "stopped_pain"
        else:
            outcomes[exercise.key] = "skipped"
    return outcomes


def session_counts(results: dict[tuple[str, str], str]) -> bool:
    done = sum(1 for outcome in exercise_outcomes(results).values() if outcome == "done")
    return done >= COUNTED_MIN_DONE
