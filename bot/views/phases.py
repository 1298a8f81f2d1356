"""Words of the habit schedule: phase changes, the check-in, flare-ups."""

from __future__ import annotations

from bot.i18n import Translator


def change(tr: Translator, reason: str) -> str:
    messages = {
        "habit_complete": tr._(
            "That's 21 days of stretching - the habit is yours now. "
            "Does your low back feel less sore than when you started?"
        ),
        "checkin_less_sore": tr._(
            "Great to hear. From now on a few sessions a week on your chosen days "
            "will keep your back in good shape."
        ),
        "checkin_still_sore": tr._("Thanks for telling me. Let's keep stretching every day and check in again in a week."),
        "checkin_due": tr._("It's been a week of daily stretching. Does your low back feel less sore now?"),
        "flare_up": tr._(
            "Sorry your back is flaring up. Let's go gently back to daily stretches for a week and then see how you feel."
        ),
    }
    return messages[reason]


def less_sore(tr: Translator) -> str:
    return tr._("Yes, less sore")


def still_sore(tr: Translator) -> str:
    return tr._("Still sore")


def flare_offer(tr: Translator) -> str:
    return tr._("Your pain is up. Would you like to go back to daily stretching for a while?")


def flare_yes(tr: Translator) -> str:
    return tr._("Yes, daily again")


def flare_no(tr: Translator) -> str:
    return tr._("No, thanks")


def already_daily(tr: Translator) -> str:
    return tr._("You're already on daily practice. Go gently, and stop anything that hurts.")


def flare_button(tr: Translator) -> str:
    return tr._("😣 Flare-up")
