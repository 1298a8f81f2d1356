from bot.domain.routine import BY_KEY, ROUTINE, STEPS, DoseKind, exercise_outcomes, session_counts

# The product table (PRODUCT.md): key -> (dose kind, low, high, per side, equipment)
PRODUCT_TABLE = {
    "knees_to_chest": (DoseKind.HOLD, 20, 20, True, "mat"),
    "piriformis_lying": (DoseKind.HOLD, 30, 30, True, "mat"),
    "seated_hip": (DoseKind.HOLD, 30, 60, True, None),
    "bridge": (DoseKind.BREATHS, 5, 10, False, "mat"),
    "hip_abduction_band": (DoseKind.REPS, 15, 20, True, "resistance band"),
    "hip_rotator_met": (DoseKind.HOLD, 20, 20, True, "mat"),
    "clam_shell": (DoseKind.REPS, 15, 20, True, "resistance band"),
}


def test_seven_exercises_in_product_order() -> None:
    assert [e.key for e in ROUTINE] == list(PRODUCT_TABLE)
    assert [e.number for e in ROUTINE] == list(range(1, 8))


def test_doses_sides_and_equipment_match_the_product_table() -> None:
    for key, (kind, low, high, per_side, equipment) in PRODUCT_TABLE.items():
        exercise = BY_KEY[key]
        assert (exercise.dose.kind, exercise.dose.low, exercise.dose.high) == (kind, low, high), key
        assert exercise.per_side is per_side, key
        assert exercise.equipment == equipment, key
        assert exercise.steps and all(exercise.steps) and exercise.safety


def test_steps_walk_each_side_in_turn() -> None:
    assert len(STEPS) == 13
    assert [(s.exercise.key, s.side) for s in STEPS[:3]] == [
        ("knees_to_chest", "left"),
        ("knees_to_chest", "right"),
        ("piriformis_lying", "left"),
    ]
    bridge = [s for s in STEPS if s.exercise.key == "bridge"]
    assert [s.side for s in bridge] == ["both"] and bridge[0].side_label == ""
    assert STEPS[0].side_label == "left leg"


def test_dose_descriptions() -> None:
    assert BY_KEY["seated_hip"].dose.describe() == "hold 30-60 seconds"
    assert BY_KEY["bridge"].dose.describe() == "hold for 5-10 slow breaths"
    assert BY_KEY["clam_shell"].dose.describe() == "15-20 repetitions"


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
