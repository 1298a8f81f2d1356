"""Words of the red-flag screen (first version; the full safety wording lives in
bot/views/safety.py once it lands)."""

from __future__ import annotations

from bot.i18n import Translator


def disclaimer(tr: Translator) -> str:
    return tr._(
        "Before we start: I'm a practice companion, not a doctor, and this is not medical advice.\n\n"
        "Please see a clinician for a proper diagnosis of your back or leg pain, if you haven't already."
    )


def consent_button(tr: Translator) -> str:
    return tr._("I have seen or will see a clinician")


def intro(tr: Translator) -> str:
    return tr._(
        "A few quick safety questions. Answer each with yes or no; they matter even if they seem unrelated."
    )


def recheck_intro(tr: Translator) -> str:
    return tr._("Your symptoms have changed, so let's re-check a few safety signs.")


def question(tr: Translator, number: int, total: int, text: str) -> str:
    return tr._("{number}/{total}. {question}", number=number, total=total, question=tr._(text))


def yes(tr: Translator) -> str:
    return tr._("Yes")


def no(tr: Translator) -> str:
    return tr._("No")


def emergency(tr: Translator) -> str:
    return tr._(
        "⚠️ Please stop here and get help now: go to the emergency department "
        "or call your local emergency number.\n\n"
        "What you describe can mean a nerve is badly squeezed, and that needs a doctor today. "
        "I've stopped your program and won't send reminders."
    )


def see_doctor(tr: Translator) -> str:
    return tr._(
        "Thanks for telling me. Please see a doctor before you start these exercises; "
        "that sign is worth checking first.\n\n"
        "I've paused your program. Once a clinician says exercise is fine for you, tap the button below."
    )


def clear(tr: Translator) -> str:
    return tr._("All clear, thank you.")


def stopped_emergency(tr: Translator) -> str:
    return tr._(
        "Your program is stopped because of an urgent safety answer. If you haven't yet, "
        "please get medical help now. When a doctor has checked you, you can answer the "
        "safety questions again."
    )


def paused_doctor(tr: Translator) -> str:
    return tr._("Your program is paused until a clinician clears you to exercise.")


def cleared_button(tr: Translator) -> str:
    return tr._("A clinician has cleared me")


def redo_button(tr: Translator) -> str:
    return tr._("Answer the safety questions again")


def resumed(tr: Translator) -> str:
    return tr._("Thanks. Your program is running again. Send /stretch when you're ready.")


def emergency_signs(tr: Translator) -> str:
    return tr._(
        "Not medical advice. Stop any exercise that hurts. Get help at once (emergency department or "
        "your local emergency number) if you notice numbness around your genitals or back passage, "
        "new trouble with peeing or your bowels, or weakness or numbness in both legs."
    )
