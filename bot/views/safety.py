"""The safety wording: disclaimer, red-flag questions, stops and pauses, the symptom watch.

Plain, calm and exact: each message says what the sign means for what to do next, and
no more alarm than the sign warrants. Every sentence goes through the Translator so it
is translated with the same care as the English (PRODUCT.md, "Languages").
"""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.screening import QUESTIONS, Question, ScreenStatus, WayBack, emergency_questions
from bot.domain.symptoms import FollowUp, HurtChoice, SixWeeks, Trigger
from bot.i18n import N_, Translator

__all__ = [
    "answer_labels",
    "disclaimer",
    "disclaimer_button",
    "doctor_first_pause",
    "doctor_today_noted",
    "doctor_today_pause",
    "emergency_signs",
    "emergency_stop",
    "followup_label",
    "followup_question",
    "followup_reply",
    "help_signs",
    "hurt_advice",
    "hurt_choice_label",
    "hurt_prompt",
    "question_prompt",
    "question_text",
    "recheck_clear",
    "recheck_intro",
    "screen_clear",
    "screen_intro",
    "settle_message",
    "six_week_advice",
    "stop_message",
    "stopped_notice",
    "update_intro",
    "urgent",
    "way_back_label",
]

# --- disclaimer --------------------------------------------------------------------------


def disclaimer(tr: Translator) -> str:
    return tr._(
        "Before we start: I'm a practice companion, not a doctor, and nothing I say is medical "
        "advice. These stretches help many people with sciatica, but the cause of your pain "
        "needs a proper diagnosis from a clinician.\n\n"
        "Please make sure you have seen, or will see, a doctor or physiotherapist about your "
        "back and leg pain."
    )


def disclaimer_button(tr: Translator) -> str:
    """The confirmation is about the clinician, not about having read the text."""
    return tr.p_("button", "I have seen or will see a clinician")


# --- the screen -------------------------------------------------------------------------

_QUESTION_TEXT: dict[str, str] = {
    "saddle_numbness": N_(
        "Do you have numbness or tingling around your genitals, your back passage (bottom) "
        "or your inner thighs?"
    ),
    "bladder": N_("Have you newly had trouble starting to pee, controlling it, or feeling when you pee?"),
    "bowel": N_("Have you newly lost control of your bowels, or the feeling when you open them?"),
    "sexual_function": N_(
        "Have you noticed new problems with sexual function, or less feeling in your genitals?"
    ),
    "both_legs_new": N_("Has your sciatica recently spread, so that you now feel it in both legs?"),
    "both_legs_weakness": N_(
        "Do you have weakness or numbness in both legs that is severe or getting worse?"
    ),
    "one_leg_weakness": N_(
        "Is one of your legs or feet getting weaker, for example your foot slapping down or "
        "catching on the ground when you walk?"
    ),
    "fever": N_("Do you have a fever, or feel generally unwell, along with the back pain?"),
    "cancer": N_("Have you ever had cancer?"),
    "weight_loss": N_("Have you lost weight recently without trying to?"),
    "injury": N_("Have you had a serious fall or injury recently?"),
    "immune": N_("Do you take steroid tablets long-term, have a weakened immune system, or inject drugs?"),
    "osteoporosis": N_("Have you been told you have osteoporosis (thinning of the bones)?"),
    "age_onset": N_("Did your back pain first start when you were under 20 or over 50?"),
    "constant_pain": N_(
        "Is your pain constant, so that no position or rest eases it, or does it wake you every night?"
    ),
}


def question_text(tr: Translator, question: Question) -> str:
    return tr._(_QUESTION_TEXT[question.key])


def question_prompt(tr: Translator, question: Question, number: int, total: int) -> str:
    """One question as sent: its place in the round, then the question."""
    return tr._(
        "Question {number} of {total}:\n{question}",
        number=tr.number(number),
        total=tr.number(total),
        question=question_text(tr, question),
    )


def answer_labels(tr: Translator) -> tuple[str, str]:
    """The yes and no buttons under each question."""
    return tr.p_("screening answer", "Yes"), tr.p_("screening answer", "No")


def screen_intro(tr: Translator, count: int = len(QUESTIONS)) -> str:
    return tr.n_(
        "Next, {n} direct safety question. A yes tells me to point you to the right help "
        "instead of exercises, so please answer it even if it seems unrelated.",
        "Next, {n} direct safety questions, one at a time. Most people answer no to all of "
        "them; a yes tells me to point you to the right help instead of exercises. Please "
        "answer each one, even if it seems unrelated.",
        count,
    )


def update_intro(tr: Translator, count: int) -> str:
    """For users screened by the first version: only the questions they were never asked."""
    return tr.n_(
        "I've made my safety questions more complete. Before your next session, please "
        "answer {n} new question.",
        "I've made my safety questions more complete. Before your next session, please "
        "answer {n} new questions, one at a time.",
        count,
    )


def screen_clear(tr: Translator) -> str:
    return tr._("Thank you. None of those signs, so let's carry on.")


def doctor_today_noted(tr: Translator) -> str:
    """Said at once after a yes to the worsening-weakness question; the round goes on."""
    return tr._(
        "Thank you. A leg or foot that is getting weaker should be checked by a doctor today. "
        "A few more questions, so the doctor has the full picture, then I'll explain what happens next."
    )


def emergency_stop(tr: Translator) -> str:
    return tr._(
        "Please stop here and get medical help now: go to the emergency department, or call "
        "your local emergency number.\n\n"
        "What you describe can mean that the nerves at the bottom of your spine are being "
        "squeezed. That needs to be checked straight away, before any exercise.\n\n"
        "I've stopped your program: no reminders and no sessions. Once a doctor has checked "
        "you, you can answer the safety questions again here."
    )


def doctor_today_pause(tr: Translator) -> str:
    return tr._(
        "Please see a doctor today about the weakness in your leg or foot: call your doctor's "
        "practice or an urgent care service. If it gets worse quickly, or both legs become "
        "weak or numb, go to the emergency department.\n\n"
        "I've paused your program until a clinician has checked you. When they have cleared "
        "you to exercise, tap the button below. Your answers are saved, and /report shows "
        "them for your doctor."
    )


def doctor_first_pause(tr: Translator) -> str:
    return tr._(
        "Thank you. One of your answers is worth checking with a doctor before you start "
        "these exercises. Please book an appointment; if you feel very unwell, contact a "
        "doctor sooner.\n\n"
        "I've paused your program until then. When a clinician has cleared you to exercise, "
        "tap the button below. Your answers are saved, and /report shows them for your doctor."
    )


def stop_message(tr: Translator, status: ScreenStatus) -> str:
    """The message a stop starts with, by its status."""
    if status is ScreenStatus.EMERGENCY:
        return emergency_stop(tr)
    if status is ScreenStatus.DOCTOR_TODAY:
        return doctor_today_pause(tr)
    if status is ScreenStatus.DOCTOR_FIRST:
        return doctor_first_pause(tr)
    raise ValueError(f"not a stop: {status.value!r}")


def stopped_notice(tr: Translator, status: ScreenStatus) -> str:
    """What any later message or old button gets while stopped: never a screening question,
    always the ways back (`screening.ways_back`, shown as buttons with `way_back_label`)."""
    if status is ScreenStatus.EMERGENCY:
        return tr._(
            "Your program is stopped because of an answer that needs urgent medical help. If "
            "you haven't been checked yet, please go to the emergency department or call your "
            "local emergency number now.\n\n"
            "Once a doctor has checked you, you can answer the safety questions again."
        )
    if status is ScreenStatus.DOCTOR_TODAY:
        return tr._(
            "Your program is paused until a clinician has checked the weakness in your leg or "
            "foot. If you haven't seen a doctor yet, please do so today.\n\n"
            "When a clinician has cleared you to exercise, tap the button below. If an answer "
            "was a mistake, you can answer the safety questions again."
        )
    if status is ScreenStatus.DOCTOR_FIRST:
        return tr._(
            "Your program is paused until a doctor has checked what you told me.\n\n"
            "When a clinician has cleared you to exercise, tap the button below. If an answer "
            "was a mistake, you can answer the safety questions again."
        )
    raise ValueError(f"not a stop: {status.value!r}")


def way_back_label(tr: Translator, way: WayBack) -> str:
    # Literal calls, so the extracted message carries its "button" context.
    if way is WayBack.CLINICIAN_CLEARED:
        return tr.p_("button", "A clinician has cleared me")
    if way is WayBack.REDO_SCREEN:
        return tr.p_("button", "Answer the safety questions again")
    raise ValueError(way)


# --- the re-check ------------------------------------------------------------------------


def recheck_intro(tr: Translator, triggers: Collection[Trigger]) -> str:
    """Why the emergency questions come again; the most telling trigger words it."""
    count = len(emergency_questions())
    if Trigger.NEW_NUMBNESS_WEAKNESS in triggers:
        why = tr._("You've noticed new numbness or weakness.")
    elif Trigger.PAIN_SPREADING in triggers:
        why = tr._("Your pain is spreading further down your leg.")
    elif Trigger.PAIN_ROSE_IN_SESSION in triggers:
        why = tr._("Your pain went up during this session.")
    elif Trigger.PAIN_ABOVE_USUAL in triggers:
        why = tr._("Your pain today is clearly higher than usual for you.")
    else:
        raise ValueError("a re-check needs a trigger")
    check = tr.n_(
        "So let's re-check the most urgent sign: {n} yes/no question.",
        "So let's re-check the most urgent signs: {n} yes/no questions.",
        count,
    )
    return tr._("{why} {check}", why=why, check=check)


def recheck_clear(tr: Translator, triggers: Collection[Trigger]) -> str:
    """After a re-check answered all no."""
    if Trigger.NEW_NUMBNESS_WEAKNESS in triggers:
        return tr._(
            "Thank you, none of the urgent signs. Please still have the new numbness or weakness "
            "checked by a doctor: today if a leg or foot is getting weaker, otherwise soon."
        )
    if Trigger.PAIN_SPREADING in triggers:
        return tr._(
            "Thank you, none of the urgent signs. Please rest from the stretches today, and see "
            "a doctor if the pain hasn't settled within a day."
        )
    return tr._(
        "Thank you, none of the urgent signs. Go gently: shorter holds and smaller movements "
        "are fine, and stop if the pain spreads further down your leg."
    )


# --- "stop - it hurts" -------------------------------------------------------------------


def hurt_prompt(tr: Translator) -> str:
    """Right after "stop - it hurts": the exercise is logged as stopped for pain."""
    return tr._(
        "Stopped, and noted as stopped for pain. Ease off: come out of the position slowly "
        "and rest in a comfortable one for a moment.\n\n"
        "If the pain spreads further down your leg, stop for today. What would you like to do?"
    )


def _nerve_label(tr: Translator, spreading: bool) -> str:
    """The two nerve-symptom buttons, the same words in "stop - it hurts" and the follow-up."""
    if spreading:
        return tr.p_("button", "Pain spreading down my leg")
    return tr.p_("button", "New numbness or weakness")


def hurt_choice_label(tr: Translator, choice: HurtChoice) -> str:
    if choice is HurtChoice.GO_ON:
        return tr.p_("button", "Go on gently")
    if choice is HurtChoice.END_SESSION:
        return tr.p_("button", "End the session")
    if choice is HurtChoice.NUMBNESS_WEAKNESS:
        return _nerve_label(tr, spreading=False)
    if choice is HurtChoice.SPREADING:
        return _nerve_label(tr, spreading=True)
    raise ValueError(choice)


def hurt_advice(tr: Translator, choice: HurtChoice) -> str:
    """The answer to a "stop - it hurts" choice. The two nerve choices end the session and
    are followed by the re-check (`recheck_intro`)."""
    if choice is HurtChoice.GO_ON:
        return tr._(
            "Going on. Keep the movements small and skip anything that hurts. If the pain "
            "starts spreading down your leg, stop for today."
        )
    if choice is HurtChoice.END_SESSION:
        return tr._(
            "Session ended, and what you did is saved. Rest in a comfortable position. "
            "Soreness from stretching should settle within 24 hours."
        )
    if choice is HurtChoice.NUMBNESS_WEAKNESS:
        return tr._(
            "Session ended. New numbness or weakness should be checked by a doctor: today if "
            "a leg or foot is getting weaker, otherwise soon. Please rest from the stretches "
            "until then."
        )
    if choice is HurtChoice.SPREADING:
        return tr._(
            "Session ended. Pain spreading further down the leg usually means the nerve is more "
            "irritated, so rest today rather than stretching through it. If it hasn't settled within a "
            "day, please see a doctor."
        )
    raise ValueError(choice)


# --- after a session whose pain went up ----------------------------------------------------


def settle_message(tr: Translator, before: int, after: int) -> str:
    return tr._(
        "Your pain was a little higher after the session ({before} before, {after} after). "
        "Some soreness after stretching is common and should settle within 24 hours. "
        "I'll ask how it is with your next reminder.",
        before=tr.number(before),
        after=tr.number(after),
    )


def followup_question(tr: Translator) -> str:
    return tr._("Your pain went up after your last session. How is it now?")


def followup_label(tr: Translator, answer: FollowUp) -> str:
    if answer is FollowUp.SETTLED:
        return tr.p_("button", "It has settled")
    if answer is FollowUp.STILL_SORE:
        return tr.p_("button", "Still a little sore")
    if answer is FollowUp.WORSE:
        return tr.p_("button", "It's worse")
    if answer is FollowUp.NUMBNESS_WEAKNESS:
        return _nerve_label(tr, spreading=False)
    if answer is FollowUp.SPREADING:
        return _nerve_label(tr, spreading=True)
    raise ValueError(answer)


def followup_reply(tr: Translator, answer: FollowUp) -> str:
    if answer is FollowUp.SETTLED:
        return tr._("Good to hear. Carry on as usual.")
    if answer is FollowUp.STILL_SORE:
        return tr._(
            "Thanks for telling me. Take today gently: shorter holds, smaller movements, and "
            "skip any exercise that brings the pain back. If it hasn't eased in a few days, "
            "check with your doctor."
        )
    if answer is FollowUp.WORSE:
        return tr._(
            "Sorry it's worse. Rest from the stretches today. If it hasn't started to ease by "
            "tomorrow, or keeps getting worse, please see a doctor."
        )
    if answer is FollowUp.NUMBNESS_WEAKNESS:
        return tr._(
            "Thanks for telling me. Please rest from the stretches and have the new numbness or "
            "weakness checked by a doctor: today if a leg or foot is getting weaker, otherwise soon."
        )
    if answer is FollowUp.SPREADING:
        return tr._(
            "Thanks for telling me. Please rest from the stretches today. If the pain hasn't "
            "settled within a day, see a doctor."
        )
    raise ValueError(answer)


# --- six weeks ---------------------------------------------------------------------------


def six_week_advice(tr: Translator, result: SixWeeks) -> str:
    """The suggestion, sent once unprompted and repeated in /progress while it holds."""
    return tr._(
        "You've been practising for about six weeks, and your pain hasn't come down much yet "
        "({start} at the start, around {recent} lately). It could be worth seeing a doctor or "
        "physiotherapist to check what else might help. Meanwhile, you can keep stretching if "
        "it feels fine.",
        start=tr.number(result.start),
        recent=tr.number(result.recent, 1 if result.recent % 1 else 0),
    )


# --- the emergency signs, always at hand ---------------------------------------------------

_SIGNS: tuple[str, ...] = (
    N_("numbness or tingling around your genitals, back passage or inner thighs"),
    N_("new trouble starting, controlling or feeling when you pee"),
    N_("new loss of control or feeling of your bowels"),
    N_("new problems with sexual function or genital feeling"),
    N_("sciatica that has newly spread to both legs"),
    N_("weakness or numbness in both legs that is severe or getting worse"),
)


def emergency_signs(tr: Translator) -> str:
    """The emergency signs and the see-a-doctor-today sign, as a short list."""
    bullets = "\n".join(tr._("• {sign}", sign=tr._(sign)) for sign in _SIGNS)
    return tr._(
        "Go to the emergency department or call your local emergency number now if you have:\n"
        "{signs}\n\n"
        "See a doctor today if one leg or foot is getting weaker (for example, your foot "
        "slaps down or catches when you walk).",
        signs=bullets,
    )


def urgent(tr: Translator) -> str:
    """/urgent: the signs and nothing else to read first."""
    return emergency_signs(tr)


def help_signs(tr: Translator) -> str:
    """The block /help ends with."""
    return tr._("Not medical advice. Stop any exercise that hurts.\n\n{signs}", signs=emergency_signs(tr))
