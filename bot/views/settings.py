"""Words of /settings, /pause and /resume."""

from __future__ import annotations

from datetime import time

from bot.i18n import NATIVE_NAMES, Translator


def summary(
    tr: Translator,
    at: time | None,
    zone: str,
    days: list[int],
    paused: bool,
    locale: str,
    has_band: bool | None,
) -> str:
    weekdays = tr.list([tr.weekday(d) for d in days]) if days else tr._("none")
    lines = [
        tr._("Your settings:"),
        tr._("⏰ Reminder time: {time}", time=tr.time(at) if at else tr._("not set")),
        tr._("🌍 Time zone: {zone}", zone=zone),
        tr._("📅 Practice days (maintenance): {days}", days=weekdays),
        tr._("🗣 Language: {language}", language=NATIVE_NAMES[locale]),
        tr._("🎗 Resistance band: {answer}", answer=tr._("yes") if has_band else tr._("no")),
        tr._("🔔 Reminders: paused") if paused else tr._("🔔 Reminders: on"),
    ]
    return "\n".join(lines)


def time_button(tr: Translator) -> str:
    return tr._("⏰ Reminder time")


def zone_button(tr: Translator) -> str:
    return tr._("🌍 Time zone")


def days_button(tr: Translator) -> str:
    return tr._("📅 Practice days")


def language_button(tr: Translator) -> str:
    return tr._("🗣 Language")


def band_button(tr: Translator) -> str:
    return tr._("🎗 Resistance band")


def hold_button(tr: Translator) -> str:
    return tr._("⏱ Hold length")


def pause_button(tr: Translator) -> str:
    return tr._("⏸ Pause reminders")


def resume_button(tr: Translator) -> str:
    return tr._("▶️ Resume reminders")


def flare_button(tr: Translator) -> str:
    return tr._("😣 My back is flaring up")


def paused(tr: Translator) -> str:
    return tr._("Reminders paused. Send /resume whenever you're ready; /stretch still works any time.")


def resumed(tr: Translator) -> str:
    return tr._("Reminders are back on.")


def pick_days(tr: Translator) -> str:
    return tr._(
        "Pick the days for maintenance practice (3-4 a week works well). "
        "Tap to switch a day on or off, then Save."
    )


def save(tr: Translator) -> str:
    return tr._("Save")


def keep_one_day(tr: Translator) -> str:
    return tr._("Keep at least one day.")


def saved_days(tr: Translator, days: list[int]) -> str:
    return tr._("Saved: {days}", days=tr.list([tr.weekday(d) for d in days]))


def few_days_tip(tr: Translator) -> str:
    return tr._("Saved. Tip: 3-4 days a week keeps the benefit going.")


def pick_language(tr: Translator) -> str:
    return tr._("Which language should I use?")


def language_set(tr: Translator) -> str:
    # TRANSLATORS: name this catalog's own language ("from now on I'll speak German").
    return tr._("Okay, I'll speak English from now on.")
