"""The two-tier red-flag screen. People rarely mention these unless asked directly."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    EMERGENCY = "emergency"
    DOCTOR = "doctor"


@dataclass(frozen=True)
class Question:
    key: str
    tier: Tier
    text: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        "saddle_numbness",
        Tier.EMERGENCY,
        "Do you have numbness or tingling around your genitals, back passage or inner thighs?",
    ),
    Question(
        "bladder_bowel",
        Tier.EMERGENCY,
        "Have you newly had trouble starting, controlling or feeling when you pee, "
        "or lost control of your bowels?",
    ),
    Question("both_legs", Tier.EMERGENCY, "Do you have sciatica in both legs?"),
    Question(
        "leg_weakness",
        Tier.EMERGENCY,
        "Is there weakness or numbness in your legs that is severe or getting worse?",
    ),
    Question("fever", Tier.DOCTOR, "Do you have a fever, or feel generally unwell, with the back pain?"),
    Question("cancer", Tier.DOCTOR, "Have you ever had cancer?"),
    Question("weight_loss", Tier.DOCTOR, "Have you lost weight recently without trying?"),
    Question("injury", Tier.DOCTOR, "Have you had a serious fall or injury recently?"),
    Question("night_pain", Tier.DOCTOR, "Is the pain at its worst at night or when lying down?"),
)

EMERGENCY_COUNT = sum(1 for q in QUESTIONS if q.tier is Tier.EMERGENCY)


def questions_for(emergency_only: bool) -> tuple[Question, ...]:
    """The full screen at onboarding; only the emergency tier when pain rises later."""
    return QUESTIONS[:EMERGENCY_COUNT] if emergency_only else QUESTIONS
