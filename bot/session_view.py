"""What a guided-session screen looks like: text and buttons, no I/O."""

from __future__ import annotations

from bot.domain.routine import Step
from bot.handlers.common import Rows
from bot.services.sessions import Summary

HURT_ADVICE = (
    "Okay, that one is logged as stopped for pain. Ease off and rest for a moment.\n\n"
    "If pain spreads further down your leg, or you notice numbness or weakness, "
    "stop for today and see a clinician.\n\nWhat would you like to do?"
)


def pain_rows(session_id: int, when: str) -> Rows:
    return [
        [(str(n), f"{when}:{session_id}:{n}") for n in range(0, 6)],
        [(str(n), f"{when}:{session_id}:{n}") for n in range(6, 11)],
    ]


def pain_question(after: bool) -> str:
    moment = "now, after the session" if after else "right now, before we start"
    return f"How strong is your pain {moment}?\n0 = none, 10 = the worst you can imagine."


def step_text(step: Step) -> str:
    ex = step.exercise
    lines = [f"Exercise {ex.number} of 7 · {ex.title}"]
    if step.side_label:
        lines.append(f"Side: {step.side_label}")
    lines.append(f"You need: {ex.equipment or 'nothing'}")
    lines.append("")
    lines.extend(f"{i}. {line}" for i, line in enumerate(ex.steps, 1))
    lines.append("")
    lines.append(f"Dose: {ex.dose.describe()}")
    lines.append(f"💡 {ex.safety}")
    return "\n".join(lines)


def step_rows(session_id: int, step: Step) -> Rows:
    base = f"x:{session_id}:{step.index}"
    rows: list[list[tuple[str, str]]] = []
    if step.exercise.dose.timed:
        rows.append([(f"⏱ Start {step.exercise.dose.timer_seconds} s timer", f"{base}:t")])
    rows.append([("✅ Done", f"{base}:d")])
    rows.append([("Skip", f"{base}:s"), ("🛑 Stop - it hurts", f"{base}:p")])
    return rows


def holding_text(step: Step, seconds_left: int) -> str:
    where = f" ({step.side_label})" if step.side_label else ""
    return f"⏱ Hold {step.exercise.title}{where}\n{seconds_left} s to go. Breathe slowly."


def holding_rows(session_id: int, step: Step) -> Rows:
    base = f"x:{session_id}:{step.index}"
    return [[("✅ Done early", f"{base}:d")], [("🛑 Stop - it hurts", f"{base}:p")]]


def hurt_rows(session_id: int, step: Step) -> Rows:
    base = f"h:{session_id}:{step.index}"
    return [
        [("Go on to the next exercise", f"{base}:n")],
        [("End the session", f"{base}:e")],
        [("New numbness or weakness", f"{base}:w")],
    ]


def outcome_line(step: Step, outcome: str) -> str:
    where = f", {step.side_label}" if step.side_label else ""
    mark = {"done": "✅ done", "skipped": "⏭ skipped", "stopped_pain": "🛑 stopped (pain)"}[outcome]
    return f"{step.exercise.number}. {step.exercise.title}{where}: {mark}"


def transition_line(current: Step, following: Step | None) -> str:
    """What to do now the hold is over: release, switch sides, or move on."""
    if following is None:
        return "Time! Release slowly. That was the last one."
    if following.exercise.key == current.exercise.key:
        return f"Time! Release slowly and switch to the {following.side_label}."
    return "Time! Release slowly. Next exercise:"


def summary_text(summary: Summary, pain_before: int | None, pain_after: int) -> str:
    lines = [
        "Session finished. Well done for showing up.",
        f"✅ done: {summary.done}   ⏭ skipped: {summary.skipped}   🛑 stopped: {summary.stopped}",
    ]
    if pain_before is not None:
        lines.append(f"Pain: {pain_before} → {pain_after}")
    if summary.counts:
        lines.append("Today counts towards your habit. 🎉")
    else:
        lines.append(
            "Today doesn't count yet (it needs 4 of 7 exercises done). "
            "That's okay; any practice helps. Pick up tomorrow."
        )
    return "\n".join(lines)


def resume_rows(session_id: int) -> Rows:
    return [
        [("▶️ Continue", f"rs:{session_id}:c")],
        [("🔄 Start over", f"rs:{session_id}:r"), ("⏹ End it", f"rs:{session_id}:e")],
    ]
