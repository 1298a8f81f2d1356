"""Words shared by every flow: help, commands, hints, refusals, errors."""

from __future__ import annotations

from bot.i18n import Translator


def commands(tr: Translator) -> list[tuple[str, str]]:
    """The command menu (setMyCommands), in the user's language."""
    return [
        ("stretch", tr._("Start or continue today's session")),
        ("progress", tr._("Streak, pain trend and a picture")),
        ("report", tr._("A one-page PDF for your clinician")),
        ("settings", tr._("Reminder time, time zone, days, language")),
        ("pause", tr._("Pause reminders")),
        ("resume", tr._("Resume reminders")),
        ("urgent", tr._("When to get help at once")),
        ("export", tr._("Download your data")),
        ("delete", tr._("Erase your data")),
        ("help", tr._("What I can do")),
        ("cancel", tr._("Leave the current step")),
    ]


def help_text(tr: Translator, signs: str) -> str:
    lines = [tr._("Here's what I can do:")]
    lines.extend(f"/{name} - {text}" for name, text in commands(tr))
    return "\n".join(lines) + "\n\n" + signs


def not_started(tr: Translator) -> str:
    return tr._("We haven't met yet. Send /start to begin.")


def finish_onboarding(tr: Translator) -> str:
    return tr._("Let's finish setting up first. Send /start to pick up where you left off.")


def unknown_command(tr: Translator) -> str:
    return tr._("I don't know that command. Send /help to see what I can do.")


def idle_hint(tr: Translator) -> str:
    return tr._("I work with buttons and commands. Send /stretch to practise or /help for more.")


def use_buttons(tr: Translator) -> str:
    return tr._("Please tap one of the buttons below.")


def private_only(tr: Translator) -> str:
    return tr._("I work in a private chat. Tap my name and send me /start there.")


def expired(tr: Translator) -> str:
    return tr._("That button has expired.")


def already_done(tr: Translator) -> str:
    return tr._("Already noted.")


def cannot_read(tr: Translator) -> str:
    return tr._("I can't read that kind of message, but I'm still here.")


def location_not_kept(tr: Translator) -> str:
    return tr._("Thanks! I only use a location to set your time zone, so I haven't kept it.")


def cancelled_session(tr: Translator) -> str:
    return tr._("Session ended. Everything you did so far is saved. Send /stretch to start again.")


def cancelled_input(tr: Translator) -> str:
    return tr._("Okay, nothing changed.")


def cancelled_onboarding(tr: Translator) -> str:
    return tr._("Okay, we'll stop here. Send /start to continue setting up where you left off.")


def nothing_to_cancel(tr: Translator) -> str:
    return tr._("Nothing to cancel. Send /help to see what I can do.")


def settled(old: str, note: str) -> str:
    """A pressed message kept as history with the choice made under it."""
    return f"{old}\n\n→ {note}"[:4096]


def program_running(tr: Translator) -> str:
    return tr._("Your program is running again. Send /stretch when you're ready.")


def ready_when_you_are(tr: Translator) -> str:
    return tr._("Thank you. Send /stretch when you're ready.")
