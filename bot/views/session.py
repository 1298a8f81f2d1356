"""Words of the guided session: pain questions, step cards, holds, the summary."""

from __future__ import annotations

from bot.domain.routine import Step
from bot.i18n import Translator


def pain_question(tr: Translator, *, after: bool) -> str:
    if after:
        return tr._("How strong is your pain now, after the session?\n0 = none, 10 = the worst you can imagine.")
    return tr._("How strong is your pain right now, before we start?\n0 = none, 10 = the worst you can imagine.")


def pain_noted(tr: Translator, rating: int, *, after: bool) -> str:
    if after:
        return tr._("Pain after: {rating}/10.", rating=rating)
    return tr._("Pain before: {rating}/10. Let's begin.", rating=rating)


def step_card(tr: Translator, step: Step, *, second_side: bool, lead: str | None = None) -> str:
    """A phone-sized card: which exercise, which side works, what to do, the dose."""
    ex = step.exercise
    lines: list[str] = []
    if lead:
        lines.append(lead)
    lines.append(tr._("Exercise {number} of 7 · {title}", number=ex.number, title=tr._(ex.title)))
    if step.side_label:
        lines.append(tr._("Side: {side}", side=tr._(step.side_label)))
    if not second_side:
        lines.append("")
        lines.extend(f"{i}. {tr._(line)}" for i, line in enumerate(ex.steps, 1))
    lines.append("")
    lines.append(tr._("Dose: {dose}", dose=tr._(ex.dose.describe())))
    if not second_side:
        lines.append(f"💡 {tr._(ex.safety)}")
    return "\n".join(lines)


def holding(tr: Translator, step: Step, seconds_left: int) -> str:
    title = tr._(step.exercise.title)
    if step.side_label:
        return tr._(
            "⏱ Hold {title} ({side})\n{seconds} s to go. Breathe slowly.",
            title=title,
            side=tr._(step.side_label),
            seconds=seconds_left,
        )
    return tr._("⏱ Hold {title}\n{seconds} s to go. Breathe slowly.", title=title, seconds=seconds_left)


def time_up(tr: Translator, current: Step, following: Step | None) -> str:
    if following is None:
        return tr._("⏰ Time! Release slowly. That was the last one.")
    if following.exercise.key == current.exercise.key:
        return tr._("⏰ Time! Release slowly and switch to the {side}.", side=tr._(following.side_label))
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


def hurt_advice(tr: Translator) -> str:
    return tr._(
        "Okay, that one is logged as stopped for pain. Ease off and rest for a moment.\n\n"
        "If pain spreads further down your leg, or you notice numbness or weakness, "
        "stop for today and see a clinician.\n\nWhat would you like to do?"
    )


def hurt_go_on(tr: Translator) -> str:
    return tr._("Go on to the next exercise")


def hurt_end(tr: Translator) -> str:
    return tr._("End the session")


def hurt_nerve(tr: Translator) -> str:
    return tr._("New numbness or weakness")


def hurt_spreading(tr: Translator) -> str:
    return tr._("Pain spreading down my leg")


def going_on(tr: Translator) -> str:
    return tr._("Going on gently.")


def ending_here(tr: Translator) -> str:
    return tr._("Ending the session here. Rest well.")


def stopping_here(tr: Translator) -> str:
    return tr._("Stopping the session here.")


def outcome_line(tr: Translator, step: Step, outcome: str) -> str:
    title = tr._(step.exercise.title)
    marks = {"done": tr._("✅ done"), "skipped": tr._("⏭ skipped"), "stopped_pain": tr._("🛑 stopped (pain)")}
    if step.side_label:
        return tr._(
            "{number}. {title}, {side}: {mark}",
            number=step.exercise.number,
            title=title,
            side=tr._(step.side_label),
            mark=marks[outcome],
        )
    return tr._("{number}. {title}: {mark}", number=step.exercise.number, title=title, mark=marks[outcome])


def summary(tr: Translator, done: int, skipped: int, stopped: int, pain_before: int | None, pain_after: int) -> str:
    lines = [
        tr._("Session finished. Well done for showing up."),
        tr._("✅ done: {done}   ⏭ skipped: {skipped}   🛑 stopped: {stopped}", done=done, skipped=skipped, stopped=stopped),
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


def continuing(tr: Translator) -> str:
    return tr._("Continuing.")


def starting_over(tr: Translator) -> str:
    return tr._("Starting over.")


def ended_saved(tr: Translator) -> str:
    return tr._("Ended. Your results so far are saved.")


def already_open(tr: Translator) -> str:
    return tr._("A session is already open. Send /stretch to continue it.")


def mid_session_hint(tr: Translator) -> str:
    return tr._("Tap a button below to go on, or /cancel to stop the session.")
