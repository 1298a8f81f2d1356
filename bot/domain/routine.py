"""The seven-exercise routine as data (facts from the source article, words our own)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DoseKind(StrEnum):
    HOLD = "hold"  # seconds, the bot runs a timer
    REPS = "reps"
    BREATHS = "breaths"


@dataclass(frozen=True)
class Dose:
    kind: DoseKind
    low: int
    high: int

    @property
    def timed(self) -> bool:
        return self.kind is DoseKind.HOLD

    @property
    def timer_seconds(self) -> int:
        """The hold the timer runs: the low end, which a beginner can manage."""
        return self.low

    def describe(self) -> str:
        amount = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
        if self.kind is DoseKind.HOLD:
            return f"hold {amount} seconds"
        if self.kind is DoseKind.REPS:
            return f"{amount} repetitions"
        return f"hold for {amount} slow breaths"


@dataclass(frozen=True)
class Exercise:
    number: int
    key: str
    title: str
    steps: tuple[str, ...]
    dose: Dose
    per_side: bool
    side_word: str  # "leg" or "side"
    equipment: str | None
    safety: str

    @property
    def sides(self) -> tuple[str, ...]:
        return ("left", "right") if self.per_side else ("both",)


ROUTINE: tuple[Exercise, ...] = (
    Exercise(
        1,
        "knees_to_chest",
        "Knees to chest",
        (
            "Lie on your back with both knees bent and feet on the mat.",
            "Draw one knee up towards your chest with your hands.",
            "Tighten your belly and slowly slide the other leg out straight. "
            "If your low back complains, leave that knee bent.",
        ),
        Dose(DoseKind.HOLD, 20, 20),
        True,
        "leg",
        "mat",
        "Pull gently. A stretch is fine; sharp pain is a signal to ease off.",
    ),
    Exercise(
        2,
        "piriformis_lying",
        "Piriformis stretch, lying",
        (
            "Lie on your back, knees bent, belly muscles gently tight.",
            "Cross one leg and rest that ankle on the opposite knee.",
            "Let the crossed knee fall open until you feel the stretch deep in the buttock.",
        ),
        Dose(DoseKind.HOLD, 30, 30),
        True,
        "leg",
        "mat",
        "Keep your head and shoulders relaxed on the floor.",
    ),
    Exercise(
        3,
        "seated_hip",
        "Seated hip stretch",
        (
            "Sit tall with both legs straight in front of you.",
            "Cross one leg over the other and plant that foot beside the straight knee.",
            "Wrap the opposite arm around the bent knee and hug it in, keeping your back straight.",
        ),
        Dose(DoseKind.HOLD, 30, 60),
        True,
        "side",
        None,
        "Sit up straight rather than rounding your back to go further.",
    ),
    Exercise(
        4,
        "bridge",
        "Bridge",
        (
            "Lie on your back with hips and knees bent to a right angle, feet flat.",
            "Rest your arms by your sides, palms down, and draw your belly in.",
            "Lift your hips off the mat and keep the belly drawn in the whole time.",
        ),
        Dose(DoseKind.BREATHS, 5, 10),
        False,
        "side",
        "mat",
        "This wakes up the glutes and opens hips that sitting has tightened. Lower down if your back arches.",
    ),
    Exercise(
        5,
        "hip_abduction_band",
        "Standing hip abduction with a band",
        (
            "Tie the band to something sturdy and loop it around the ankle furthest from it.",
            "Hold on to the support and stand tall.",
            "Lift the outer leg out to the side, keeping it straight, pause, then lower it slowly.",
        ),
        Dose(DoseKind.REPS, 15, 20),
        True,
        "side",
        "resistance band",
        "Move slowly and keep your body upright; no swinging.",
    ),
    Exercise(
        6,
        "hip_rotator_met",
        "Hip rotator muscle-energy stretch",
        (
            "Raise and lower the leg until it feels tired, changing the hip angle a little each time.",
            "At each new angle, first press the knee gently towards the floor for a few seconds, "
            "then relax and sink into the stretch.",
            "Finish in pigeon pose and hold it.",
        ),
        Dose(DoseKind.HOLD, 20, 20),
        True,
        "side",
        "mat",
        "Press gently; this is about letting the muscle relax, not forcing it.",
    ),
    Exercise(
        7,
        "clam_shell",
        "Clam shell",
        (
            "Lie on your side with knees bent to a right angle, band around both knees.",
            "Keep your feet together and lift the top knee about 20-30 cm (8-12 inches).",
            "Lower it with control.",
        ),
        Dose(DoseKind.REPS, 15, 20),
        True,
        "side",
        "resistance band",
        "Keep your hips stacked; don't roll backwards as the knee lifts.",
    ),
)

BY_KEY: dict[str, Exercise] = {exercise.key: exercise for exercise in ROUTINE}
# A session counts for the day when at least this many exercises are done.
COUNTED_MIN_DONE = 4


@dataclass(frozen=True)
class Step:
    """One screen of a session: an exercise on one side."""

    index: int
    exercise: Exercise
    side: str  # left | right | both

    @property
    def side_label(self) -> str:
        if self.side == "both":
            return ""
        return f"{self.side} {self.exercise.side_word}"


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
    otherwise skipped (including sides never reached)."""
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
