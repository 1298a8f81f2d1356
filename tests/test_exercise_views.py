"""The routine's words: every step renders, names the working leg, stays phone-sized."""

import ast
import re
from pathlib import Path

import pytest

from bot.domain.routine import BY_KEY, ROUTINE, STEPS, Side, Variant
from bot.i18n import SUPPORTED, translator
from bot.views import exercises as view

EN = translator("en")

# What the side line must say for each exercise's left side (the right side mirrors it).
LEFT_SIDE_SAYS = {
    "knees_to_chest": "Left knee to chest, right leg long",
    "piriformis_lying": "Left ankle on your right knee",
    "seated_hip": "Left leg crosses over; hug it with your right arm",
    "hip_abduction_band": "Left leg lifts; right hand holds the support",
    "hip_rotator_met": "Left leg works; right foot stays on the mat",
    "clam_shell": "Lying on your right side, left knee lifts",
}


def _mirror(text: str) -> str:
    return re.sub(
        r"\b(left|Left|right|Right)\b",
        lambda m: {"left": "right", "Left": "Right", "right": "left", "Right": "Left"}[m.group(1)],
        text,
    )


def _variants(step):  # type: ignore[no-untyped-def]
    return step.exercise.variants


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_step_and_variant_renders_in_every_locale(locale: str) -> None:
    tr = translator(locale)
    for step in STEPS:
        for variant in _variants(step):
            for hold in (None, 30, 45, 60, 999):
                card = view.step_card(tr, step, variant=variant, hold_seconds=hold)
                cue = view.second_side_cue(tr, step, hold_seconds=hold)
                for text in (card, cue, view.step_text(tr, step, variant=variant, hold_seconds=hold)):
                    assert text and "{" not in text and "}" not in text


def test_each_side_names_the_working_leg() -> None:
    for step in STEPS:
        line = view.side_line(EN, step)
        if step.working is Side.BOTH:
            assert line is None
            continue
        expected = LEFT_SIDE_SAYS[step.exercise.key]
        if step.working is Side.RIGHT:
            expected = _mirror(expected)
        assert line == expected
        assert expected in view.step_card(EN, step)
        assert expected in view.second_side_cue(EN, step)


def test_cards_are_phone_sized_and_fit_a_caption() -> None:
    for step in STEPS:
        for variant in _variants(step):
            card = view.step_card(EN, step, variant=variant, hold_seconds=60)
            assert len(card) <= 560, (step.exercise.key, len(card))
            assert len(card.splitlines()) <= 6, card
            assert view.header(EN, step.exercise, variant) == card.splitlines()[0]


def test_the_second_side_is_one_line_not_the_card_again() -> None:
    for step in STEPS:
        if not step.second_side:
            continue
        cue = view.step_text(EN, step)
        assert cue == view.second_side_cue(EN, step)
        assert "\n" not in cue and len(cue) <= 110
        assert view.how_to(EN, step.exercise) not in cue
        assert view.dose_text(EN, step.exercise, with_range=False) in cue
    first = view.step_text(EN, STEPS[0])
    assert first == view.step_card(EN, STEPS[0])


def test_the_dose_and_the_timer_agree_on_the_chosen_hold() -> None:
    seated = BY_KEY["seated_hip"]
    step = next(s for s in STEPS if s.exercise is seated)
    assert "Hold 30 seconds (range 30-60 s)" in view.step_card(EN, step)
    for chosen in (30, 45, 60):
        card = view.step_card(EN, step, hold_seconds=chosen)
        assert f"Hold {seated.dose.hold_seconds(chosen)} seconds" in card
    assert "Hold 45 seconds" in view.second_side_cue(EN, step, hold_seconds=45)
    assert "range" not in view.second_side_cue(EN, step, hold_seconds=45)
    assert view.dose_text(EN, BY_KEY["knees_to_chest"]) == "Hold 20 seconds"
    assert view.dose_text(EN, BY_KEY["bridge"]) == "Hold for 5-10 slow breaths"
    assert view.dose_text(EN, BY_KEY["clam_shell"]) == "15-20 repetitions"
    assert view.dose_text(EN, BY_KEY["hip_rotator_met"]) == "Finish: hold 20 seconds"


def test_hold_choice_buttons_mark_the_length_in_use() -> None:
    seated = BY_KEY["seated_hip"]
    assert view.hold_choices(EN, seated) == [(30, "✓ 30 s"), (45, "45 s"), (60, "60 s")]
    assert view.hold_choices(EN, seated, hold_seconds=60) == [(30, "30 s"), (45, "45 s"), (60, "✓ 60 s")]
    for exercise in ROUTINE:
        if exercise is not seated:
            assert view.hold_choices(EN, exercise) == []
    question = view.hold_question(EN, seated)
    assert "Seated hip stretch" in question and "30" in question and "60" in question
    assert view.hold_saved(EN, seated, 45).endswith("45 seconds from now on.")


def test_exercise_6_has_a_start_a_figure_4_finish_and_pigeon_only_as_an_option() -> None:
    met = BY_KEY["hip_rotator_met"]
    card = view.step_card(EN, next(s for s in STEPS if s.exercise is met))
    assert "On your back" in card  # the starting position the source lacks
    assert f"for {met.press_seconds} seconds" in card and "press the knee gently" in card
    assert "Finish: ankle on the other knee, pull that thigh in." in card
    assert "Finish: hold 20 seconds" in card
    assert view.option_line(EN, met) in card and "pigeon" in view.option_line(EN, met)
    assert all(view.option_line(EN, e) is None for e in ROUTINE if e is not met)


def test_no_band_variants_drop_the_band_but_keep_the_movement() -> None:
    for exercise in ROUTINE:
        with_band = view.how_to(EN, exercise, Variant.DEFAULT)
        if Variant.NO_BAND not in exercise.variants:
            assert "band" not in with_band
            continue
        without = view.how_to(EN, exercise, Variant.NO_BAND)
        assert "band" in with_band and "band" not in without.lower()
        assert "band" not in view.title(EN, exercise, Variant.NO_BAND).replace("no band", "")
        # the movement sentence is shared
        assert with_band.rsplit(". ", 1)[-1] == without.rsplit(". ", 1)[-1]


def test_equipment_is_named_before_the_first_session() -> None:
    assert view.equipment_note(EN) == "What you need: a mat, and a resistance band if you have one."
    assert "Exercises 5 and 7" in view.no_band_note(EN)
    assert view.band_question(EN).endswith("?")
    assert len(view.band_answer_labels(EN)) == 2


def test_no_f_strings_in_the_view() -> None:
    """Sentences come from the catalog whole: nothing glues them with f-strings."""
    tree = ast.parse(Path(view.__file__).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
