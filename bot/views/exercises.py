"""The routine in words: titles, step cards, second-side cues, doses, hold choices, equipment.

Every sentence goes through the Translator; the domain (`bot.domain.routine`) gives only keys
and numbers. Each side has its own whole sentence ("Left ankle on your right knee"), never
"{side} ankle on your {other} knee": in many languages "left" changes with the noun it goes
with, so a translator needs the sentence, not the word.

A card is written for a phone held on a floor mat: a header, which leg works, two or three
short sentences on what to do, the dose, one safety line. The second side of an exercise
gets one line (`second_side_cue`), not the card again.
"""

from __future__ import annotations

from bot.domain.routine import ROUTINE, DoseKind, Exercise, Side, Step, Variant
from bot.i18n import N_, Translator

# Titles as message ids, marked for extraction here and translated where shown.
_TITLES: dict[str, str] = {
    "knees_to_chest": N_("Knees to chest"),
    "piriformis_lying": N_("Piriformis stretch, lying"),
    "seated_hip": N_("Seated hip stretch"),
    "bridge": N_("Bridge"),
    "hip_abduction_band": N_("Standing hip abduction with a band"),
    "hip_rotator_met": N_("Hip rotator muscle-energy stretch"),
    "clam_shell": N_("Clam shell"),
}
_NO_BAND_TITLES: dict[str, str] = {
    "hip_abduction_band": N_("Standing hip abduction"),
    "clam_shell": N_("Clam shell, no band"),
}

# What to do, for the first side. "One leg" / "the other leg": the side line names them.
_HOW: dict[tuple[str, Variant], str] = {
    ("knees_to_chest", Variant.DEFAULT): N_(
        "On your back, knees bent, feet on the mat. Hug one knee to your chest with both hands. "
        "Tighten your belly and slide the other leg out long; if your low back is sore, leave it bent."
    ),
    ("piriformis_lying", Variant.DEFAULT): N_(
        "On your back, knees bent, belly gently tight. Cross one leg over and rest that ankle "
        "just below the other knee. Let the crossed knee fall open until you feel it deep in the buttock."
    ),
    ("seated_hip", Variant.DEFAULT): N_(
        "Sit tall with both legs straight. Cross one leg over and set its foot flat beside the "
        "other knee. Hug that knee in with the opposite arm, back straight."
    ),
    ("bridge", Variant.DEFAULT): N_(
        "On your back, knees bent, feet flat, arms by your sides with palms down. Draw your belly "
        "in and keep it in. Lift your hips until shoulders, hips and knees line up; lower slowly."
    ),
    ("hip_abduction_band", Variant.DEFAULT): N_(
        "Tie the band low around something sturdy and loop it round the ankle further from it. "
        "Stand tall, side-on, holding the support. Keeping it straight, raise the outer leg "
        "sideways, pause, and lower it slowly."
    ),
    ("hip_abduction_band", Variant.NO_BAND): N_(
        "Stand tall, side-on to a chair or counter, holding it. Keeping it straight, raise the "
        "outer leg sideways, pause, and lower it slowly."
    ),
    ("hip_rotator_met", Variant.DEFAULT): N_(
        "On your back, other foot flat. Bend the working hip and knee; hold the knee. Move the leg "
        "to a new angle, press the knee gently out towards the floor for {seconds} seconds, then "
        "let go and ease into the stretch. Repeat until the leg tires. Finish: ankle on the other "
        "knee, pull that thigh in."
    ),
    ("clam_shell", Variant.DEFAULT): N_(
        "Lie on your side, hips and knees bent, knees forward, band around both knees. Keep your "
        "feet together and lift the top knee 20-30 cm (8-12 in), then lower it slowly."
    ),
    ("clam_shell", Variant.NO_BAND): N_(
        "Lie on your side, hips and knees bent, knees forward. Keep your feet together and lift "
        "the top knee 20-30 cm (8-12 in), then lower it slowly."
    ),
}

# Which leg works, one whole sentence per side (see the module docstring).
_SIDES: dict[tuple[str, Side], str] = {
    ("knees_to_chest", Side.LEFT): N_("Left knee to chest, right leg long"),
    ("knees_to_chest", Side.RIGHT): N_("Right knee to chest, left leg long"),
    ("piriformis_lying", Side.LEFT): N_("Left ankle on your right knee"),
    ("piriformis_lying", Side.RIGHT): N_("Right ankle on your left knee"),
    ("seated_hip", Side.LEFT): N_("Left leg crosses over; hug it with your right arm"),
    ("seated_hip", Side.RIGHT): N_("Right leg crosses over; hug it with your left arm"),
    ("hip_abduction_band", Side.LEFT): N_("Left leg lifts; right hand holds the support"),
    ("hip_abduction_band", Side.RIGHT): N_("Right leg lifts; left hand holds the support"),
    ("hip_rotator_met", Side.LEFT): N_("Left leg works; right foot stays on the mat"),
    ("hip_rotator_met", Side.RIGHT): N_("Right leg works; left foot stays on the mat"),
    ("clam_shell", Side.LEFT): N_("Lying on your right side, left knee lifts"),
    ("clam_shell", Side.RIGHT): N_("Lying on your left side, right knee lifts"),
}

_SAFETY: dict[str, str] = {
    "knees_to_chest": N_("Pull gently: a stretch is fine, sharp pain means ease off."),
    "piriformis_lying": N_("Keep your head and shoulders relaxed on the mat."),
    "seated_hip": N_("Sit up straight; don't round your back to go further."),
    "bridge": N_("Lower down if your low back arches or hurts."),
    "hip_abduction_band": N_("Move slowly and stay upright; no swinging."),
    "hip_rotator_met": N_("Press gently; let the muscle relax, don't force it."),
    "clam_shell": N_("Keep your hips stacked; don't roll back as the knee lifts."),
}

_OPTIONS: dict[str, str] = {
    "pigeon": N_("Finish feels easy? Full pigeon pose is an option."),
}

# Icons open a line; they are the layout, not part of any sentence.
_ICON_SIDE = "👉"
_ICON_TIMED = "⏱"
_ICON_REPS = "🔁"
_ICON_BREATHS = "🌬"
_ICON_SAFETY = "💡"
_ICON_OPTION = "🕊"
_ICON_OTHER_SIDE = "↔"


def _line(icon: str, text: str) -> str:
    return icon + " " + text


def title(tr: Translator, exercise: Exercise, variant: Variant = Variant.DEFAULT) -> str:
    if variant is Variant.NO_BAND and exercise.key in _NO_BAND_TITLES:
        return tr._(_NO_BAND_TITLES[exercise.key])
    return tr._(_TITLES[exercise.key])


def header(tr: Translator, exercise: Exercise, variant: Variant = Variant.DEFAULT) -> str:
    return tr._(
        "Exercise {number} of {total} · {title}",
        number=tr.number(exercise.number),
        total=tr.number(len(ROUTINE)),
        title=title(tr, exercise, variant),
    )


def how_to(tr: Translator, exercise: Exercise, variant: Variant = Variant.DEFAULT) -> str:
    """What to do, in two or three short sentences (the first side's card)."""
    msgid = _HOW.get((exercise.key, variant)) or _HOW[(exercise.key, Variant.DEFAULT)]
    if exercise.press_seconds is not None:
        return tr._(msgid, seconds=tr.number(exercise.press_seconds))
    return tr._(msgid)


def side_line(tr: Translator, step: Step) -> str | None:
    """Which leg works on this step, or None when both do (the bridge)."""
    if step.working is Side.BOTH:
        return None
    return tr._(_SIDES[(step.exercise.key, step.working)])


def safety_line(tr: Translator, exercise: Exercise) -> str:
    return tr._(_SAFETY[exercise.key])


def option_line(tr: Translator, exercise: Exercise) -> str | None:
    """The harder finish offered to those who find the exercise easy (exercise 6's pigeon)."""
    if exercise.option is None:
        return None
    return tr._(_OPTIONS[exercise.option])


def dose_text(
    tr: Translator, exercise: Exercise, *, hold_seconds: int | None = None, with_range: bool = True
) -> str:
    """The dose as a short sentence; a ranged hold shows the user's chosen length (and the range).

    `hold_seconds` is the user's stored choice (None: never chosen); it is snapped to what the
    dose offers, exactly as the timer does (`Dose.hold_seconds`)."""
    dose = exercise.dose
    if dose.kind is DoseKind.HOLD:
        seconds = dose.hold_seconds(hold_seconds)
        if exercise.finish is not None:
            return tr.n_("Finish: hold {n} second", "Finish: hold {n} seconds", seconds)
        if dose.ranged and with_range:
            return tr.n_(
                "Hold {n} second (range {low}-{high} s)",
                "Hold {n} seconds (range {low}-{high} s)",
                seconds,
                low=tr.number(dose.low),
                high=tr.number(dose.high),
            )
        return tr.n_("Hold {n} second", "Hold {n} seconds", seconds)
    if dose.kind is DoseKind.REPS:
        if dose.ranged:
            return tr.n_("{low}-{n} repetition", "{low}-{n} repetitions", dose.high, low=tr.number(dose.low))
        return tr.n_("{n} repetition", "{n} repetitions", dose.high)
    if dose.ranged:
        return tr.n_(
            "Hold for {low}-{n} slow breath",
            "Hold for {low}-{n} slow breaths",
            dose.high,
            low=tr.number(dose.low),
        )
    return tr.n_("Hold for {n} slow breath", "Hold for {n} slow breaths", dose.high)


def _dose_icon(exercise: Exercise) -> str:
    return {DoseKind.HOLD: _ICON_TIMED, DoseKind.REPS: _ICON_REPS, DoseKind.BREATHS: _ICON_BREATHS}[
        exercise.dose.kind
    ]


def step_card(
    tr: Translator, step: Step, *, variant: Variant = Variant.DEFAULT, hold_seconds: int | None = None
) -> str:
    """The whole step, phone-sized: header, which leg works, what to do, dose, one safety line.

    Short enough for a photo or animation caption (Telegram allows 1024 characters)."""
    exercise = step.exercise
    lines = [header(tr, exercise, variant)]
    side = side_line(tr, step)
    if side is not None:
        lines.append(_line(_ICON_SIDE, side))
    lines.append(how_to(tr, exercise, variant))
    lines.append(_line(_dose_icon(exercise), dose_text(tr, exercise, hold_seconds=hold_seconds)))
    lines.append(_line(_ICON_SAFETY, safety_line(tr, exercise)))
    option = option_line(tr, exercise)
    if option is not None:
        lines.append(_line(_ICON_OPTION, option))
    return "\n".join(lines)


def second_side_cue(tr: Translator, step: Step, *, hold_seconds: int | None = None) -> str:
    """One line for an exercise's second side: the leg that works now, and the dose."""
    side = side_line(tr, step)
    dose = dose_text(tr, step.exercise, hold_seconds=hold_seconds, with_range=False)
    if side is None:  # an exercise without sides has no second side; say the dose again
        return _line(_ICON_OTHER_SIDE, dose)
    return _line(_ICON_OTHER_SIDE, tr._("Other side: {side} · {dose}", side=side, dose=dose))


def step_text(
    tr: Translator, step: Step, *, variant: Variant = Variant.DEFAULT, hold_seconds: int | None = None
) -> str:
    """What a step shows: the card on an exercise's first side, the one-line cue on its second."""
    if step.second_side:
        return second_side_cue(tr, step, hold_seconds=hold_seconds)
    return step_card(tr, step, variant=variant, hold_seconds=hold_seconds)


# --------------------------------------------------------------------------- hold length


def hold_choice_label(tr: Translator, seconds: int, *, chosen: bool = False) -> str:
    """A hold-length button: "45 s", or "✓ 45 s" for the length in use."""
    label = tr._("{seconds} s", seconds=tr.number(seconds))
    return "✓ " + label if chosen else label


def hold_choices(
    tr: Translator, exercise: Exercise, *, hold_seconds: int | None = None
) -> list[tuple[int, str]]:
    """(seconds, button label) for each length a ranged hold offers; empty when there is no choice."""
    dose = exercise.dose
    if not dose.timed or not dose.ranged:
        return []
    current = dose.hold_seconds(hold_seconds)
    return [(s, hold_choice_label(tr, s, chosen=s == current)) for s in dose.hold_choices()]


def hold_question(tr: Translator, exercise: Exercise) -> str:
    """Asks for the hold length once; the answer is kept until changed (here or in /settings)."""
    dose = exercise.dose
    return tr._(
        "{title}: how long would you like to hold it? Anything from {low} to {high} seconds helps; "
        "if unsure, start short. You can change it any time in /settings.",
        title=title(tr, exercise),
        low=tr.number(dose.low),
        high=tr.number(dose.high),
    )


def hold_saved(tr: Translator, exercise: Exercise, seconds: int) -> str:
    return tr.n_(
        "{title}: you will hold for {n} second from now on.",
        "{title}: you will hold for {n} seconds from now on.",
        seconds,
        title=title(tr, exercise),
    )


# --------------------------------------------------------------------------- equipment


def equipment_note(tr: Translator) -> str:
    """Named before the first session."""
    return tr._("What you need: a mat, and a resistance band if you have one.")


def no_band_note(tr: Translator) -> str:
    numbers = [tr.number(e.number) for e in ROUTINE if Variant.NO_BAND in e.variants]
    return tr._(
        "No band? Exercises {numbers} have a version without one: the same movement with your "
        "body weight, and it counts just the same.",
        numbers=tr.list(numbers),
    )


def band_question(tr: Translator) -> str:
    return tr._("Do you have a resistance band?")


def band_answer_labels(tr: Translator) -> tuple[str, str]:
    """(has a band, has none) button labels."""
    return tr._("Yes, I have a band"), tr._("No band")
