"""The symptom watch: baseline, triggers, the 3-day re-check limit, follow-ups, six weeks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from bot.domain.symptoms import (
    NERVE_TRIGGERS,
    FollowUp,
    FollowUpAction,
    HurtChoice,
    Trigger,
    baseline,
    followup_action,
    followup_due,
    hurt_result,
    on_followup,
    on_hurt_choice,
    on_pain_before,
    on_pain_in_session,
    pain_went_up,
    recheck_due,
    rose_in_session,
    six_week_notice_due,
    six_weeks,
    triggers_before,
)

DAY0 = date(2027, 3, 1)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


# --- baseline ---------------------------------------------------------------------------


def test_no_baseline_before_the_first_rating() -> None:
    assert baseline([]) is None
    assert triggers_before(10, []) == frozenset()


def test_first_rating_until_there_are_three() -> None:
    assert baseline([4]) == 4
    assert baseline([4, 9]) == 4
    assert baseline([4, 9, 9]) == 9  # median from the third rating on


def test_median_of_the_last_seven() -> None:
    assert baseline([10, 10, 10, 1, 2, 3, 4, 5, 6, 7]) == 4
    assert baseline([1, 2, 3, 4]) == 2.5


def test_a_rating_must_be_on_the_scale() -> None:
    with pytest.raises(ValueError):
        triggers_before(11, [3])
    with pytest.raises(ValueError):
        rose_in_session(3, [-1])


# --- pain before a session --------------------------------------------------------------------


@pytest.mark.parametrize(("before", "fires"), [(4, False), (5, True), (9, True), (3, False), (0, False)])
def test_two_points_above_the_baseline(before: int, fires: bool) -> None:
    assert (Trigger.PAIN_ABOVE_USUAL in triggers_before(before, [3, 3, 3])) is fires


def test_ceiling_a_first_rating_of_nine_still_detects_a_later_rise() -> None:
    """Against the first rating a 9 or 10 could never rise by 2; against recent pain it can."""
    history = [9, 10, 8, 6, 4, 3, 3, 3, 3, 3]
    fired = []
    for i in range(1, len(history)):
        fired.append(bool(triggers_before(history[i], history[:i])))
    assert not any(fired)  # settling down never fires
    assert triggers_before(6, history) == {Trigger.PAIN_ABOVE_USUAL}
    assert triggers_before(10, [10]) == frozenset()  # nothing above 10 at the start


def test_relapse_after_improvement_fires() -> None:
    """Pain settled from 6 to 1, then 5: against the first rating (6) that was no rise at all."""
    history = [6, 5, 4, 3, 2, 1, 1, 1, 1, 1]
    assert baseline(history) == 1
    assert triggers_before(5, history) == {Trigger.PAIN_ABOVE_USUAL}
    assert triggers_before(3, history) == {Trigger.PAIN_ABOVE_USUAL}
    assert triggers_before(2, history) == frozenset()
    # Midway down, the baseline is where the pain is now, not where it began.
    assert triggers_before(5, [6, 5, 4, 3, 2, 1, 1, 1]) == {Trigger.PAIN_ABOVE_USUAL}


def simulate(befores: Sequence[int], last_recheck: date | None = None) -> list[int]:
    """Daily sessions: the days (indices) on which the re-check is asked."""
    asked = []
    for i, before in enumerate(befores):
        watch = on_pain_before(before, befores[:i], day(i), last_recheck)
        if watch.recheck:
            asked.append(i)
            last_recheck = day(i)
    return asked


def test_living_two_points_above_the_first_rating_is_not_asked_every_session() -> None:
    """First rating 3, then a steady 5: the baseline moves to 5 after the third rating."""
    befores = [3] + [5] * 20
    asked = simulate(befores, last_recheck=day(0))
    assert len(asked) <= 1
    # Without the 3-day limit it would still stop after the baseline caught up:
    fires = [bool(triggers_before(b, befores[:i])) for i, b in enumerate(befores)]
    assert fires[:4] == [False, True, True, False] and not any(fires[3:])


# --- pain within a session -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "later", "fires"),
    [
        (3, [6], True),
        (3, [5], False),
        (3, [6, 4], True),  # a mid-session rating counts even if it eased by the end
        (3, [4, 5, 6], True),
        (9, [10], False),
        (None, [2, 5], True),  # no "before": the first rating is the start
        (None, [5], False),
        (5, [], False),
        (6, [2, 5], False),  # back to where it began is not a rise
    ],
)
def test_rise_within_a_session(before: int | None, later: list[int], fires: bool) -> None:
    assert rose_in_session(before, later) is fires
    watch = on_pain_in_session(before, later, day(5), None)
    assert (Trigger.PAIN_ROSE_IN_SESSION in watch.triggers) is fires
    assert watch.recheck is fires
    assert watch.pain_rising is fires


# --- the re-check limit ----------------------------------------------------------------------


def test_no_triggers_no_recheck() -> None:
    assert recheck_due(frozenset(), day(10), None) is False


@pytest.mark.parametrize(("days_since", "due"), [(0, False), (1, False), (2, False), (3, True), (30, True)])
def test_at_most_once_every_three_days(days_since: int, due: bool) -> None:
    triggers = {Trigger.PAIN_ABOVE_USUAL}
    assert recheck_due(triggers, day(10), day(10 - days_since)) is due
    assert recheck_due({Trigger.PAIN_ROSE_IN_SESSION}, day(10), day(10 - days_since)) is due
    assert recheck_due(triggers, day(10), None) is True


@pytest.mark.parametrize("trigger", sorted(NERVE_TRIGGERS))
@pytest.mark.parametrize("days_since", [0, 1, 2])
def test_a_new_nerve_symptom_is_always_rechecked(trigger: Trigger, days_since: int) -> None:
    assert recheck_due({trigger}, day(10), day(10 - days_since)) is True
    assert recheck_due({trigger, Trigger.PAIN_ABOVE_USUAL}, day(10), day(10)) is True


def test_a_limited_trigger_is_still_reported() -> None:
    watch = on_pain_before(8, [3, 3, 3], day(4), last_recheck_on=day(3))
    assert watch.triggers == {Trigger.PAIN_ABOVE_USUAL}
    assert watch.recheck is False
    assert watch.pain_rising is True


# --- "stop - it hurts" ---------------------------------------------------------------------


def test_hurt_choices() -> None:
    assert hurt_result(HurtChoice.GO_ON).ends_session is False
    assert hurt_result("end").ends_session is True and hurt_result("end").trigger is None
    numb = hurt_result(HurtChoice.NUMBNESS_WEAKNESS)
    assert numb.ends_session and numb.trigger is Trigger.NEW_NUMBNESS_WEAKNESS
    spread = hurt_result(HurtChoice.SPREADING)
    assert spread.ends_session and spread.trigger is Trigger.PAIN_SPREADING


def test_hurt_choice_recheck_ignores_the_limit_only_for_nerve_symptoms() -> None:
    assert on_hurt_choice(HurtChoice.SPREADING, day(2), day(2)).recheck is True
    assert on_hurt_choice(HurtChoice.NUMBNESS_WEAKNESS, day(2), day(1)).recheck is True
    assert on_hurt_choice(HurtChoice.GO_ON, day(2), None).recheck is False
    assert on_hurt_choice(HurtChoice.END_SESSION, day(2), None).triggers == frozenset()


def test_callback_values_are_short() -> None:
    for choice in HurtChoice:
        assert len(choice.value) <= 8
    for answer in FollowUp:
        assert len(answer.value) <= 8


# --- soreness after a session ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "up"),
    [(3, 4, True), (3, 3, False), (5, 2, False), (None, 4, False), (3, None, False)],
)
def test_pain_went_up(before: int | None, after: int | None, up: bool) -> None:
    assert pain_went_up(before, after) is up


def test_followup_rides_on_the_next_reminder() -> None:
    assert followup_due(None, False, day(2)) is False
    assert followup_due(day(1), False, day(1)) is False  # not the same day
    assert followup_due(day(1), False, day(2)) is True
    assert followup_due(day(1), False, day(5)) is True  # a later first reminder
    assert followup_due(day(1), True, day(2)) is False


def test_followup_answers() -> None:
    assert followup_action(FollowUp.SETTLED) is FollowUpAction.NONE
    assert followup_action("sore") is FollowUpAction.GO_GENTLY
    assert followup_action(FollowUp.WORSE) is FollowUpAction.REST
    assert followup_action(FollowUp.NUMBNESS_WEAKNESS) is FollowUpAction.RECHECK
    assert followup_action(FollowUp.SPREADING) is FollowUpAction.RECHECK


def test_followup_nerve_answers_recheck_within_the_limit() -> None:
    numb = on_followup(FollowUp.NUMBNESS_WEAKNESS, day(3), day(3))
    assert numb.triggers == {Trigger.NEW_NUMBNESS_WEAKNESS} and numb.recheck
    spread = on_followup("spread", day(3), day(2))
    assert spread.triggers == {Trigger.PAIN_SPREADING} and spread.recheck
    for answer in (FollowUp.SETTLED, FollowUp.STILL_SORE, FollowUp.WORSE):
        assert on_followup(answer, day(3), None) == on_followup(answer, day(3), day(3))
        assert not on_followup(answer, day(3), None).recheck


# --- six weeks -------------------------------------------------------------------------------


def ratings(values: Sequence[int], every: int = 2) -> list[tuple[date, int]]:
    return [(day(i * every), v) for i, v in enumerate(values)]


def test_not_before_six_weeks_of_practice() -> None:
    assert six_weeks([]) is None
    assert six_weeks([(day(0), 6)]) is None
    assert six_weeks([(day(0), 6), (day(41), 6)]) is None
    assert six_weeks([(day(0), 6), (day(42), 6)]) is not None


@pytest.mark.parametrize(
    ("start", "recent", "improved"),
    [
        (6, 4, True),  # 2 points
        (6, 5, False),
        (3, 2, True),  # 1 point is 33% of 3
        (10, 7, True),  # 3 points, exactly 30%
        (10, 8, True),  # 2 points
        (9, 8, False),
        (4, 5, False),
        (0, 0, True),  # nothing to improve on
        (0, 2, False),
    ],
)
def test_improvement_is_two_points_or_thirty_percent(start: int, recent: int, improved: bool) -> None:
    history = [start] + [recent] * 22  # 44 days
    result = six_weeks(ratings(history))
    assert result is not None
    assert (result.start, result.recent, result.improved) == (start, recent, improved)


def test_recent_pain_is_the_median_of_the_last_seven_after_the_start() -> None:
    history = [7, 2, 2, 2] + [6, 6, 6, 6, 6, 6, 5] + [6] * 12
    result = six_weeks(ratings(history))
    assert result is not None and result.recent == 6 and not result.improved


def test_six_week_notice_once() -> None:
    flat = ratings([6] * 23)
    assert six_week_notice_due(flat, already_sent=False) is True
    assert six_week_notice_due(flat, already_sent=True) is False
    assert six_week_notice_due(ratings([6] + [3] * 22), already_sent=False) is False
    assert six_week_notice_due(ratings([6] * 5), already_sent=False) is False
