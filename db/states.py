"""The states the flows store, as enums: the database keeps their values in typed columns.

The transitions between them are declared by the flows (bot/flows/onboarding.py,
bot/flows/session.py); this module only names the states so the schema can hold them.
"""

from __future__ import annotations

from enum import StrEnum

# The safety status and the habit phase are domain states; stored by value like the others.
from bot.domain.phases import Phase
from bot.domain.screening import ScreenStatus

__all__ = ["Awaiting", "OnboardingStep", "Phase", "ScreenStatus", "Stage"]


class OnboardingStep(StrEnum):
    WELCOME = "welcome"
    DISCLAIMER = "disclaimer"
    SCREEN = "screen"
    TIMEZONE = "timezone"
    REMINDER_TIME = "reminder_time"
    EQUIPMENT = "equipment"
    FIRST = "first"
    DONE = "done"


class Stage(StrEnum):
    PAIN_BEFORE = "pain_before"
    EXERCISE = "exercise"
    HOLDING = "holding"
    HURT = "hurt"
    PAIN_AFTER = "pain_after"
    DONE = "done"


class Awaiting(StrEnum):
    """Typed input a /settings screen asked for."""

    TIMEZONE = "timezone"
    TIME = "time"
