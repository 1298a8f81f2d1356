"""The safety wording: every question, stop, pause, choice and advice, through the Translator."""

from __future__ import annotations

import pytest

from bot.domain.screening import QUESTIONS, ScreenStatus, WayBack, emergency_questions, ways_back
from bot.domain.symptoms import FollowUp, HurtChoice, SixWeeks, Trigger
from bot.i18n import Translator
from bot.views import safety as v
from tests.pseudo import Pseudo

EN = Translator("en")


PSEUDO = Pseudo()
SIX = SixWeeks(start=6, recent=5.5, improved=False)


def every_text(tr: Translator) -> list[str]:
    texts = [
        v.disclaimer(tr),
        v.disclaimer_button(tr),
        *v.answer_labels(tr),
        v.screen_intro(tr),
        v.screen_intro(tr, 1),
        v.update_intro(tr, 6),
        v.update_intro(tr, 1),
        v.screen_clear(tr),
        v.doctor_today_noted(tr),
        v.emergency_stop(tr),
        v.doctor_today_pause(tr),
        v.doctor_first_pause(tr),
        v.hurt_prompt(tr),
        v.settle_message(tr, 3, 5),
        v.followup_question(tr),
        v.six_week_advice(tr, SIX),
        v.emergency_signs(tr),
        v.urgent(tr),
        v.help_signs(tr),
    ]
    texts += [v.question_text(tr, q) for q in QUESTIONS]
    texts += [v.question_prompt(tr, q, i + 1, len(QUESTIONS)) for i, q in enumerate(QUESTIONS)]
    for status in (ScreenStatus.EMERGENCY, ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST):
        texts += [v.stop_message(tr, status), v.stopped_notice(tr, status)]
    texts += [v.way_back_label(tr, w) for w in WayBack]
    for trigger in Trigger:
        texts += [v.recheck_intro(tr, {trigger}), v.recheck_clear(tr, {trigger})]
    for choice in HurtChoice:
        texts += [v.hurt_choice_label(tr, choice), v.hurt_advice(tr, choice)]
    for answer in FollowUp:
        texts += [v.followup_label(tr, answer), v.followup_reply(tr, answer)]
    return texts


def test_every_text_is_filled_in_and_goes_through_the_translator() -> None:
    for text in every_text(PSEUDO):
        assert text.startswith("⟦") and text.endswith("⟧"), text
    for text in every_text(EN):
        assert text.strip()
        assert "{" not in text and "}" not in text, text


def test_button_labels_fit() -> None:
    labels = [v.disclaimer_button(EN), *v.answer_labels(EN)]
    labels += [v.way_back_label(EN, w) for w in WayBack]
    labels += [v.hurt_choice_label(EN, c) for c in HurtChoice]
    labels += [v.followup_label(EN, a) for a in FollowUp]
    for label in labels:
        assert 0 < len(label) <= 40, label


def test_every_question_has_its_own_words() -> None:
    texts = [v.question_text(EN, q) for q in QUESTIONS]
    assert len(set(texts)) == len(QUESTIONS)
    for text in texts:
        assert text.endswith("?")


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("saddle_numbness", ("genitals", "back passage", "inner thighs")),
        ("bladder", ("newly", "pee")),
        ("bowel", ("newly", "bowels", "feeling")),
        ("sexual_function", ("new", "sexual", "genitals")),
        ("both_legs_new", ("recently spread", "both legs")),
        ("both_legs_weakness", ("both legs", "severe or getting worse")),
        ("one_leg_weakness", ("one of your legs or feet", "getting weaker", "slapping", "catching")),
        ("fever", ("fever", "unwell")),
        ("cancer", ("cancer",)),
        ("weight_loss", ("weight", "without trying")),
        ("injury", ("serious fall or injury",)),
        ("immune", ("steroid", "immune", "inject")),
        ("osteoporosis", ("osteoporosis",)),
        ("age_onset", ("under 20", "over 50")),
        ("constant_pain", ("constant", "no position or rest", "every night")),
    ],
)
def test_question_wording_matches_its_sign(key: str, words: tuple[str, ...]) -> None:
    text = v.question_text(EN, next(q for q in QUESTIONS if q.key == key))
    for word in words:
        assert word in text


def test_no_question_over_alarms() -> None:
    """Night pain that is merely worse lying down, and long-standing two-sided symptoms,
    are not asked as red flags."""
    text = " ".join(v.question_text(EN, q) for q in QUESTIONS).lower()
    assert "lying down" not in text
    assert "at its worst at night" not in text


def test_question_prompt_numbers_the_round() -> None:
    q = emergency_questions()[1]
    assert v.question_prompt(EN, q, 2, 6).startswith("Question 2 of 6:\n")


def test_disclaimer_asks_about_a_clinician_not_understanding() -> None:
    assert "not medical advice" in v.disclaimer(EN) or "nothing I say is medical advice" in v.disclaimer(EN)
    label = v.disclaimer_button(EN).lower()
    assert "clinician" in label
    assert "understand" not in label


def test_emergency_stop_says_where_to_go_now_and_that_the_program_stopped() -> None:
    text = v.emergency_stop(EN)
    assert "emergency department" in text and "emergency number" in text and "now" in text
    assert "stopped your program" in text
    assert v.stop_message(EN, ScreenStatus.EMERGENCY) == text


def test_doctor_pauses_say_when_and_how_to_come_back() -> None:
    today = v.doctor_today_pause(EN)
    assert "today" in today and "paused" in today and "cleared" in today
    first = v.doctor_first_pause(EN)
    assert "before you start" in first and "paused" in first and "cleared" in first
    assert "emergency department" not in first  # no more alarm than the sign warrants
    with pytest.raises(ValueError):
        v.stop_message(EN, ScreenStatus.CLEAR)


@pytest.mark.parametrize(
    "status", [ScreenStatus.EMERGENCY, ScreenStatus.DOCTOR_TODAY, ScreenStatus.DOCTOR_FIRST]
)
def test_stopped_notice_names_its_ways_back_and_never_a_question(status: ScreenStatus) -> None:
    text = v.stopped_notice(EN, status)
    for q in QUESTIONS:
        assert v.question_text(EN, q) not in text
    assert "answer the safety questions again" in text
    if WayBack.CLINICIAN_CLEARED in ways_back(status):
        assert "cleared you" in text
    else:
        assert "cleared" not in text


def test_stopped_notice_rejects_a_status_that_is_not_a_stop() -> None:
    with pytest.raises(ValueError):
        v.stopped_notice(EN, ScreenStatus.PENDING)


def test_hurt_choices_and_advice() -> None:
    labels = [v.hurt_choice_label(EN, c) for c in HurtChoice]
    assert labels == [
        "Go on gently",
        "End the session",
        "New numbness or weakness",
        "Pain spreading down my leg",
    ]
    spreading = v.hurt_advice(EN, HurtChoice.SPREADING)
    assert "Session ended" in spreading and "rest" in spreading and "within a day" in spreading
    assert "doctor" in spreading
    assert "stop for today" in v.hurt_advice(EN, HurtChoice.GO_ON)
    assert "doctor" in v.hurt_advice(EN, HurtChoice.NUMBNESS_WEAKNESS)
    assert "spreads further down your leg" in v.hurt_prompt(EN)


def test_recheck_intro_names_the_reason() -> None:
    assert "new numbness or weakness" in v.recheck_intro(EN, {Trigger.NEW_NUMBNESS_WEAKNESS})
    assert "spreading" in v.recheck_intro(EN, {Trigger.PAIN_SPREADING})
    assert "during this session" in v.recheck_intro(EN, {Trigger.PAIN_ROSE_IN_SESSION})
    assert "higher than usual" in v.recheck_intro(EN, {Trigger.PAIN_ABOVE_USUAL})
    both = v.recheck_intro(EN, {Trigger.PAIN_ABOVE_USUAL, Trigger.NEW_NUMBNESS_WEAKNESS})
    assert "numbness" in both
    assert "6 yes/no questions" in v.recheck_intro(EN, {Trigger.PAIN_ABOVE_USUAL})
    with pytest.raises(ValueError):
        v.recheck_intro(EN, set())


def test_settle_and_followup() -> None:
    text = v.settle_message(EN, 3, 5)
    assert "24 hours" in text and "3 before, 5 after" in text and "next reminder" in text
    assert v.followup_question(EN).endswith("?")
    assert "doctor" in v.followup_reply(EN, FollowUp.WORSE)
    assert "doctor" in v.followup_reply(EN, FollowUp.NUMBNESS_WEAKNESS)
    assert "within a day" in v.followup_reply(EN, FollowUp.SPREADING)
    assert "checked by a doctor" in v.recheck_clear(EN, {Trigger.NEW_NUMBNESS_WEAKNESS})
    assert "within a day" in v.recheck_clear(EN, {Trigger.PAIN_SPREADING})


def test_six_week_advice_is_a_suggestion_with_the_numbers() -> None:
    text = v.six_week_advice(EN, SIX)
    assert "six weeks" in text and "6 at the start" in text and "around 5.5" in text
    assert "could be worth" in text
    assert "around 5 lately" in v.six_week_advice(EN, SixWeeks(6, 5.0, False))


def test_emergency_signs_list_every_emergency_question_and_the_today_sign() -> None:
    text = v.urgent(EN)
    assert text.count("•") == len(emergency_questions())
    for words in (
        "genitals",
        "pee",
        "bowels",
        "sexual",
        "newly spread to both legs",
        "both legs that is severe",
    ):
        assert words in text
    assert "emergency department" in text and "today" in text
    assert text in v.help_signs(EN)


def test_other_locales_fall_back_to_english_until_translated() -> None:
    assert v.urgent(Translator("de")).count("•") == len(emergency_questions())
