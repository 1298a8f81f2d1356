"""/progress lines for habit strength, streaks, this week's count, sessions and the pain trend.

Each function returns one line (or None when there is nothing worth saying yet), so the
handler composes them with the phase header and the next-step line written elsewhere.
Every word goes through the Translator; the numbers come from `bot.domain`. Nothing
here scolds: a broken run is "a new run starts", never "you missed".
"""

from __future__ import annotations

from typing import Literal

from bot.domain.streaks import PhaseStreak, StreakUnit, WeekTally
from bot.domain.trends import Direction, SeriesTrend
from bot.i18n import Translator

__all__ = [
    "habit_day_line",
    "habit_strength_line",
    "pain_line",
    "picture_caption",
    "sessions_line",
    "streak_line",
    "week_line",
]


def habit_strength_line(tr: Translator, strength: float) -> str:
    """Habit strength as a percentage (see bot.domain.habit_strength)."""
    return tr._(
        "💪 Habit strength: {percent}. Every session builds it; a day off only dents it.",
        percent=tr.percent(round(max(0.0, min(1.0, strength)), 2)),
    )


def habit_day_line(tr: Translator, counted: int, done_today: bool, total: int = 21) -> str:
    """ "Day N of 21", said once: the day just counted, or the day today's session will make."""
    if counted >= total:
        return tr._("🌱 All {total} habit days done.", total=tr.number(total))
    if done_today:
        return tr._("🌱 Day {day} of {total} done.", day=tr.number(max(counted, 1)), total=tr.number(total))
    return tr._(
        "🌱 Day {day} of {total}: today's session counts towards it.",
        day=tr.number(counted + 1),
        total=tr.number(total),
    )


def streak_line(tr: Translator, streak: PhaseStreak) -> str | None:
    """Days in a row (daily phases) or weeks on plan in a row (maintenance); None before any run."""
    if streak.unit is StreakUnit.WEEKS:
        best = tr.n_("{n} week", "{n} weeks", streak.longest)
        if streak.current:
            current = tr.n_("🔥 {n} week in a row on plan", "🔥 {n} weeks in a row on plan", streak.current)
        elif streak.longest:
            return tr._("🔥 A new run of weeks on plan starts this week (best so far: {best}).", best=best)
        else:
            return None
    else:
        best = tr.n_("{n} day", "{n} days", streak.longest)
        if streak.current:
            current = tr.n_("🔥 {n} day in a row", "🔥 {n} days in a row", streak.current)
        elif streak.longest:
            return tr._("🔥 A new run starts with your next session (best so far: {best}).", best=best)
        else:
            return None
    if streak.longest > streak.current:
        return tr._("{current} (best so far: {best}).", current=current, best=best)
    return tr._("{current}.", current=current)


def week_line(tr: Translator, week: WeekTally | None) -> str | None:
    """This maintenance week's count against its target; None outside maintenance.

    The week maintenance starts in is counted from that day against the planned days
    left in it, and the line says so; planned days skipped with a reason or paused
    lower the target, and the line says that too.
    """
    if week is None:
        return None
    done, target = tr.number(week.done), week.target
    first_week = week.start.weekday() != 0
    if target == 0 and first_week:
        return tr._(
            "🗓 Maintenance began on {weekday}, after this week's planned days; "
            "your weekly count starts on Monday.",
            weekday=tr.weekday(week.start.weekday(), "wide"),
        )
    if target == 0:
        return tr._("🗓 This week: no planned days to count (skipped with a reason or paused). That's fine.")
    if first_week:
        line = tr.n_(
            "🗓 This week: {done} of {n} session. Your first maintenance week counts from {weekday}, "
            "so it only has the planned days from then on.",
            "🗓 This week: {done} of {n} sessions. Your first maintenance week counts from {weekday}, "
            "so it only has the planned days from then on.",
            target,
            done=done,
            weekday=tr.weekday(week.start.weekday(), "wide"),
        )
    elif week.met:
        line = tr.n_(
            "🗓 This week: {done} of {n} session, on plan ✓",
            "🗓 This week: {done} of {n} sessions, on plan ✓",
            target,
            done=done,
        )
    else:
        line = tr.n_(
            "🗓 This week: {done} of {n} session.", "🗓 This week: {done} of {n} sessions.", target, done=done
        )
    if week.excused:
        excused = tr.n_(
            "{n} planned day you skipped with a reason or paused doesn't count against you.",
            "{n} planned days you skipped with a reason or paused don't count against you.",
            week.excused,
        )
        return tr._("{line} {excused}", line=line, excused=excused)
    return line


def sessions_line(tr: Translator, completed: int) -> str:
    return tr.n_("✅ {n} session completed", "✅ {n} sessions completed", completed)


def pain_line(tr: Translator, trend: SeriesTrend, series: Literal["before", "after"]) -> str | None:
    """One series of the pain trend, worded by whether the change reached the meaningful difference.

    None for "after" while there is no rating yet (the "before" line already says ratings will show).
    """
    label = tr._("Pain before sessions") if series == "before" else tr._("Pain after sessions")
    if trend.baseline is None:
        if series == "after":
            return None
        return tr._("📉 {series}: your ratings will show here after your first session.", series=label)
    baseline = tr.number(trend.baseline, 1)
    if trend.recent is None or trend.change is None or trend.threshold is None:
        if trend.ratings <= 1:
            return tr._(
                "📉 {series}: first rating {baseline}/10. The trend shows after a few more sessions.",
                series=label,
                baseline=baseline,
            )
        return tr._(
            "📉 {series}: first rating {baseline}/10; no ratings in the last 7 days.",
            series=label,
            baseline=baseline,
        )
    values = {
        "series": label,
        "baseline": baseline,
        "recent": tr.number(trend.recent, 1),
        "points": tr.number(abs(trend.change), 1),
        "threshold": tr.number(trend.threshold, 1),
    }
    if trend.direction is Direction.BETTER:
        return tr._(
            "📉 {series}: {baseline} → {recent}/10 over the last 7 days, down {points}: "
            "a meaningful improvement 🎉",
            **values,
        )
    if trend.direction is Direction.WORSE:
        return tr._(
            "📈 {series}: {baseline} → {recent}/10 over the last 7 days, up {points}. "
            "If it stays higher, mention it to your clinician.",
            **values,
        )
    if trend.change < 0:
        return tr._(
            "📉 {series}: {baseline} → {recent}/10 over the last 7 days, down {points}. "
            "A clear change is about {threshold} points; keep going, it takes time.",
            **values,
        )
    return tr._(
        "📉 {series}: {baseline} → {recent}/10 over the last 7 days, about the same so far. "
        "A clear change is about {threshold} points; it takes time.",
        **values,
    )


def picture_caption(tr: Translator) -> str:
    return tr._("Your practice days, pain before and after, and habit strength.")


def picture_later(tr: Translator) -> str:
    return tr._("Your picture will appear here once you've done a session.")
