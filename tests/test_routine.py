import dataclasses

import pytest

from bot.domain.routine import (
    BY_KEY,
    ROUTINE,
    STEPS,
    Dose,
    DoseKind,
    Equipment,
    Position,
    Side,
    Variant,
    exercise_outcomes,
    needs_band,
    next_exercise_step,
    session_counts,
)

# The product table (PRODUCT.md): key -> (dose kind, low, high, per side, equipment)
PRODUCT_TABLE = {
    "knees_to_chest": (DoseKind.HOLD, 20, 20, True, {Equipment.MAT}),
    "piriformis_lying": (DoseKind.HOLD, 30, 30, True, {Equipment.MAT}),
    "seated_hip": (DoseKind.HOLD, 30, 60, True, set()),
    "bridge": (DoseKind.BREATHS, 5, 10, False, {Equipment.MAT}),
    "hip_abduction_band": (DoseKind.REPS, 15, 20, True, {Equipment.BAND}),
    "hip_rotator_met": (DoseKind.HOLD, 20, 20, True, {Equipment.MAT}),
    "clam_shell": (DoseKind.REPS, 15, 20, True, {Equipment.MAT, Equipment.BAND}),
}


def test_seven_exercises_in_product_order() -> None:
    assert [e.key for e in ROUTINE] == list(PRODUCT_TABLE)
    assert [e.number for e in ROUTINE] == list(range(1, 8))


def test_doses_sides_and_equipment_match_the_product_table() -> None:
    for key, (kind, low, high, per_side, equipment) in PRODUCT_TABLE.items():
        exercise = BY_KEY[key]
        assert (exercise.dose.kind, exercise.dose.low, exercise.dose.high) == (kind, low, high), key
        assert exercise.per_side is per_side, key
        assert set(exercise.equipment) == equipment, key


def test_the_domain_holds_no_sentences() -> None:
    """Words live in bot/views: every text field of the routine is a key, not English."""
    for exercise in ROUTINE:
        for field in dataclasses.fields(exercise):
            value = getattr(exercise, field.name)
            if isinstance(value, str):
                assert " " not in value, (exercise.key, field.name, value)


def test_steps_walk_each_side_in_turn() -> None:
    assert len(STEPS) == 13
    assert [(s.exercise.key, s.side) for s in STEPS[:3]] == [
        ("knees_to_chest", "left"),
        ("knees_to_chest", "right"),
        ("piriformis_lying", "left"),
    ]
    bridge = [s for s in STEPS if s.exercise.key == "bridge"]
    assert [s.side for s in bridge] == ["both"]
    assert bridge[0].working is Side.BOTH and bridge[0].first_side and not bridge[0].second_side
    assert [s.index for s in STEPS] == list(range(len(STEPS)))


def test_working_leg_is_named_per_step() -> None:
    """The side of a step is the leg that works; the other leg rests (or, lying on the side, carries you)."""
    for step in STEPS:
        assert step.working == step.side
        if step.exercise.per_side:
            assert step.resting is step.working.other and step.resting is not step.working
    clam_left = next(s for s in STEPS if s.exercise.key == "clam_shell" and s.side == "left")
    assert clam_left.exercise.position is Position.SIDE_LYING
    assert clam_left.working is Side.LEFT and clam_left.resting is Side.RIGHT  # lying on the right side
    assert [s.first_side for s in STEPS if s.exercise.key == "clam_shell"] == [True, False]


def test_next_exercise_step_skips_the_second_side() -> None:
    assert next_exercise_step(0) == 2
    assert next_exercise_step(1) == 2
    last = len(STEPS) - 1
    assert next_exercise_step(last) == len(STEPS)


def test_result_keys_stay_plain_strings() -> None:
    """Results stored as ("clam_shell", "left") still match the StrEnum sides."""
    results = {(s.exercise.key, str(s.side.value)): "done" for s in STEPS}
    assert all(outcome == "done" for outcome in exercise_outcomes(results).values())


# -------------------------------------------------------------------------- hold length


def test_a_ranged_hold_offers_short_middle_long_and_defaults_to_short() -> None:
    dose = BY_KEY["seated_hip"].dose
    assert dose.ranged and dose.hold_choices() == (30, 45, 60)
    assert dose.hold_seconds() == 30 == dose.timer_seconds
    assert [dose.hold_seconds(c) for c in (30, 45, 60)] == [30, 45, 60]


def test_a_stored_hold_that_no_longer_fits_snaps_to_the_nearest_choice() -> None:
    dose = BY_KEY["seated_hip"].dose
    assert dose.hold_seconds(10) == 30
    assert dose.hold_seconds(500) == 60
    assert dose.hold_seconds(50) == 45
    assert dose.hold_seconds(52) == 45 and dose.hold_seconds(53) == 60


def test_fixed_holds_ignore_a_choice_and_untimed_doses_have_none() -> None:
    knees = BY_KEY["knees_to_chest"].dose
    assert knees.hold_choices() == (20,) and knees.hold_seconds(45) == 20 and not knees.ranged
    bridge = BY_KEY["bridge"].dose
    assert bridge.hold_choices() == ()
    with pytest.raises(ValueError):
        bridge.hold_seconds(30)
    assert Dose(DoseKind.HOLD, 20, 40).hold_choices() == (20, 30, 40)


# -------------------------------------------------------------------------- variants and exercise 6


def test_without_a_band_exercises_5_and_7_have_a_body_weight_variant() -> None:
    assert needs_band()
    banded = [e.key for e in ROUTINE if e.uses_band]
    assert banded == ["hip_abduction_band", "clam_shell"]
    for exercise in ROUTINE:
        expected = Variant.NO_BAND if exercise.key in banded else Variant.DEFAULT
        assert exercise.variant_for(has_band=False) is expected
        assert exercise.variant_for(has_band=True) is Variant.DEFAULT
        assert Equipment.BAND not in exercise.equipment_for(exercise.variant_for(has_band=False))
    assert BY_KEY["clam_shell"].equipment_for(Variant.NO_BAND) == (Equipment.MAT,)


def test_exercise_6_starts_on_the_back_and_finishes_in_figure_4_with_pigeon_optional() -> None:
    met = BY_KEY["hip_rotator_met"]
    assert met.position is Position.BACK
    assert met.finish == "figure_4" and met.option == "pigeon"
    assert met.press_seconds is not None and 3 <= met.press_seconds <= 10
    assert (met.dose.kind, met.dose.low, met.dose.high) == (DoseKind.HOLD, 20, 20)


# -------------------------------------------------------------------------- counting


def _all(outcome: str) -> dict[tuple[str, str], str]:
    return {(s.exercise.key, s.side): outcome for s in STEPS}


def test_four_of_seven_rule_at_its_edges() -> None:
    results = _all("skipped")
    done_keys = [e.key for e in ROUTINE[:3]]
    for step in STEPS:
        if step.exercise.key in done_keys:
            results[(step.exercise.key, step.side)] = "done"
    assert not session_counts(results)  # 3 of 7
    results[("bridge", "both")] = "done"
    assert session_counts(results)  # 4 of 7


def test_exercise_needs_both_sides_and_pain_stop_wins() -> None:
    results = {
        ("knees_to_chest", "left"): "done",
        ("knees_to_chest", "right"): "skipped",
        ("piriformis_lying", "left"): "stopped_pain",
    }
    outcomes = exercise_outcomes(results)
    assert outcomes["knees_to_chest"] == "skipped"
    assert outcomes["piriformis_lying"] == "stopped_pain"
    assert outcomes["bridge"] == "skipped"
