"""Words of the guided session: pain questions, step cards, holds, the summary."""

from __future__ import annotations

from bot.domain.routine import Step, Variant
from bot.i18n import Translator
from bot.views import exercises


def pain_question(tr: Translator, *, after: bool) -> str:
    if after:
        return tr._(
            "How strong is your pain now, after the session?\n0 = none, 10 = the worst you can imagine."
        )
    return tr._(
        "How strong is your pain right now, before we start?\n0 = none, 10 = the worst you can imagine."
    )


def pain_noted(tr: Translator, rating: int, *, after: bool) -> str:
    if after:
        return tr._("Pain after: {rating}/10.", rating=rating)
    return tr._("Pain before: {rating}/10. Let's begin.", rating=rating)


def step_card(
    tr: Translator, step: Step, *, variant: Variant, hold_seconds: int | None, lead: str | None = None
) -> str:
    """The step's card (the one-line cue on a second side), after an optional lead line."""
    text = exercises.step_text(tr, step, variant=variant, hold_seconds=hold_seconds)
    return f"{lead}\n\n{text}" if lead else text


def holding(tr: Translator, step: Step, variant: Variant, seconds_left: int) -> str:
    header = exercises.header(tr, step.exercise, variant)
    side = exercises.side_line(tr, step)
    countdown = tr.n_(
        "⏱ {n} second to go. Breathe slowly.", "⏱ {n} seconds to go. Breathe slowly.", seconds_left
    )
    return "\n".join(part for part in (header, side, countdown) if part)


def time_up(tr: Translator, current: Step, following: Step | None) -> str:
    if following is None:
        return tr._("⏰ Time! Release slowly. That was the last one.")
    if following.exercise.key == current.exercise.key:
        return tr._("⏰ Time! Release slowly and change sides.")
    return tr._("⏰ Time! Release slowly. Next exercise:")


def timer_button(tr: Translator, seconds: int) -> str:
    return tr._("⏱ Start {seconds} s timer", seconds=seconds)


def done_button(tr: Translator) -> str:
    return tr._("✅ Done")


def done_early_button(tr: Translator) -> str:
    return tr._("✅ Done early")


def skip_button(tr: Translator) -> str:
    return tr._("Skip")


def hurt_button(tr: Translator) -> str:
    return tr._("🛑 Stop - it hurts")


def timer_started(tr: Translator) -> str:
    return tr._("Timer started")


def moved_on(tr: Translator) -> str:
    return tr._("That step has moved on.")


def session_ended(tr: Translator) -> str:
    return tr._("That session has ended.")


def summary(
    tr: Translator, done: int, skipped: int, stopped: int, pain_before: int | None, pain_after: int
) -> str:
    lines = [
        tr._("Session finished. Well done for showing up."),
        tr._(
            "✅ done: {done}   ⏭ skipped: {skipped}   🛑 stopped: {stopped}",
            done=done,
            skipped=skipped,
            stopped=stopped,
        ),
    ]
    if pain_before is not None:
        lines.append(tr._("Pain: {before} → {after}", before=pain_before, after=pain_after))
    return "\n".join(lines)


def resume_question(tr: Translator, step_number: int | None) -> str:
    if step_number is None:
        return tr._("You have a session in progress (at the last pain check). Carry on where you left off?")
    return tr._(
        "You have a session in progress (at exercise {number} of 7). Carry on where you left off?",
        number=step_number,
    )


def resume_continue(tr: Translator) -> str:
    return tr._("▶️ Continue")


def resume_restart(tr: Translator) -> str:
    return tr._("🔄 Start over")


def resume_end(tr: Translator) -> str:
    return tr._("⏹ End it")


def ended_saved(tr: Translator) -> str:
    return tr._("Ended. Your results so far are saved.")


def already_open(tr: Translator) -> str:
    return tr._("A session is already open. Send /stretch to continue it.")


def mid_session_hint(tr: Translator) -> str:
    return tr._("Tap a button below to go on, or /cancel to stop the session.")
