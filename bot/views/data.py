"""Words of /export and /delete."""

from __future__ import annotations

from bot.i18n import Translator


def no_data(tr: Translator) -> str:
    return tr._("I have no data about you.")


def export_caption(tr: Translator) -> str:
    return tr._("All the data I keep about you, as JSON.")


def delete_question(tr: Translator) -> str:
    return tr._(
        "This erases everything I know about you: settings, sessions, pain ratings and "
        "reminders. It can't be undone. Are you sure?"
    )


def delete_yes(tr: Translator) -> str:
    return tr._("Yes, erase everything")


def delete_no(tr: Translator) -> str:
    return tr._("No, keep it")


def kept(tr: Translator) -> str:
    return tr._("Kept. Nothing was erased.")


def erased_note(tr: Translator) -> str:
    return tr._("Erased")


def erased(tr: Translator) -> str:
    return tr._(
        "Done: everything about you is erased and no more reminders will come. "
        "Send /start if you ever want to begin again. Take care! 💙"
    )
