"""Words of /start: welcome, time zone, reminder time, equipment, the first session."""

from __future__ import annotations

from datetime import time

from bot.domain.timeparse import ZoneFacts
from bot.i18n import Translator
from bot.views import exercises


def welcome(tr: Translator, name: str) -> str:
    """The first message; a greeting without a name when Telegram gives none."""
    hello = tr._("Hi {name}! I'm Stretch Coach.", name=name) if name else tr._("Hi! I'm Stretch Coach.")
    plan = tr._(
        "I'll guide you through 7 gentle stretches and exercises for sciatica. "
        "They take about 15 minutes.\n\n"
        "The plan: once a day for 21 days until it becomes a habit, "
        "then 3-4 times a week to keep your back happy."
    )
    return f"{hello}\n\n{plan}"


def welcome_button(tr: Translator) -> str:
    return tr._("Let's go")


def welcome_back(tr: Translator, name: str) -> str:
    return tr._("Welcome back, {name}!", name=name) if name else tr._("Welcome back!")


def start_session_button(tr: Translator) -> str:
    return tr._("▶️ Start today's session")


def ask_timezone(tr: Translator) -> str:
    return tr._(
        "Which time zone are you in? It keeps your reminders at your local time.\n\n"
        "• Tap “📍 Share my location” (on your phone), or\n"
        "• type your city, like Berlin or New York, or\n"
        "• pick your UTC offset."
    )


def share_location_button(tr: Translator) -> str:
    return tr._("📍 Share my location")


def pick_offset_button(tr: Translator) -> str:
    return tr._("🌐 Pick UTC offset")


def keep_zone_button(tr: Translator, zone: str) -> str:
    return tr._("Keep {zone}", zone=zone)


def pick_offset(tr: Translator) -> str:
    return tr._("Pick your current UTC offset:")


def zone_not_found(tr: Translator, text: str) -> str:
    return tr._(
        "I couldn't find a time zone for “{text}”. Try a big city near you, "
        "a zone like Europe/Berlin, or tap “Pick UTC offset”.",
        text=text,
    )


def zone_not_at_location(tr: Translator) -> str:
    return tr._("I couldn't find a time zone there. Type your city instead, or tap “Pick UTC offset”.")


def zone_set(tr: Translator, facts: ZoneFacts) -> str:
    """The zone as the user will recognise it: its name (unless a bare offset), offset, local time."""
    now = tr.time(facts.local.time())
    if facts.name is None:
        return tr._("Time zone set: {offset} (now {time} there).", offset=facts.offset, time=now)
    return tr._(
        "Time zone set: {zone} ({offset}, now {time} there).", zone=facts.name, offset=facts.offset, time=now
    )


def zone_choices(tr: Translator) -> str:
    return tr._("I found more than one place with that name. Which one do you mean?")


def ask_time(tr: Translator) -> str:
    return tr._("What time should I remind you each day? Tap a time or type one, like 07:30 or 7pm.")


def time_not_read(tr: Translator, text: str) -> str:
    return tr._("I couldn't read “{text}” as a time. Try 07:30, 19:00 or 7pm.", text=text)


def time_set(tr: Translator, at: time) -> str:
    return tr._("Reminders at {time} your time.", time=tr.time(at))


def ask_band(tr: Translator) -> str:
    """The equipment, named before the first session, and the band question."""
    return "\n\n".join(
        [exercises.equipment_note(tr), exercises.band_question(tr), exercises.no_band_note(tr)]
    )


def band_yes(tr: Translator) -> str:
    return exercises.band_answer_labels(tr)[0]


def band_no(tr: Translator) -> str:
    return exercises.band_answer_labels(tr)[1]


def ask_first(tr: Translator) -> str:
    return tr._("You're all set! Do your first session now, or wait for your first reminder?")


def start_now(tr: Translator) -> str:
    return tr._("▶️ Start now")


def wait_for_reminder(tr: Translator) -> str:
    return tr._("Wait for my reminder")


def first_later(tr: Translator, at: time) -> str:
    return tr._(
        "Great. I'll remind you at {time}. Send /stretch any time you want to start sooner.", time=tr.time(at)
    )


def band_saved(tr: Translator, has_band: bool) -> str:
    if has_band:
        return tr._("Saved: exercises 5 and 7 use your band.")
    return tr._("Saved: exercises 5 and 7 use your body weight, no band needed.")
