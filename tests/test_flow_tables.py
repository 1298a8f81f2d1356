"""The flows' declared state tables are what the code walks: checked as data."""

from __future__ import annotations

from bot.flows import onboarding, session
from db.states import OnboardingStep, Stage


def test_each_session_action_leads_to_one_place_from_every_stage_it_is_allowed_in() -> None:
    # `session.move` relies on this: the target does not depend on which source stage matched.
    targets: dict[session.Action, set[session.To]] = {}
    for (_, action), to in session.TRANSITIONS.items():
        targets.setdefault(action, set()).add(to)
    assert all(len(found) == 1 for found in targets.values()), targets
    assert set(targets) == set(session.Action)


def test_the_session_table_reaches_every_stage_and_ends() -> None:
    sources = {stage for stage, _ in session.TRANSITIONS}
    assert sources == set(Stage) - {Stage.DONE}  # every live stage has a way on, DONE has none
    reached = {session._target(to, 0)[0] for to in session.TRANSITIONS.values()}
    reached |= {session._target(to, len(session.STEPS) - 1)[0] for to in session.TRANSITIONS.values()}
    assert reached >= {Stage.EXERCISE, Stage.HOLDING, Stage.HURT, Stage.PAIN_AFTER, Stage.DONE}


def test_onboarding_is_one_path_from_welcome_to_done_with_a_question_for_each_step() -> None:
    step, walked = OnboardingStep.WELCOME, [OnboardingStep.WELCOME]
    while step is not OnboardingStep.DONE:
        nexts = [to for (frm, _), to in onboarding.TRANSITIONS.items() if frm is step]
        assert len(nexts) == 1, step
        step = nexts[0]
        walked.append(step)
    assert walked == list(OnboardingStep)
    assert set(onboarding.ASK) == set(OnboardingStep) - {OnboardingStep.DONE}
