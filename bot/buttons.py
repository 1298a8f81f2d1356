"""The button protocol: one typed class per button family, with pack() and unpack().

Every inline button's callback data is built and read here and nowhere else. A payload
names what it acts on (a session and its step, a reminder, a question), so a stale button
is recognised as stale by the flow, and anything that does not parse exactly (forged,
truncated, oversized) is refused before a flow sees it. Telegram allows 1-64 bytes;
pack() refuses to build more (tests pack every family at its largest).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, Self

from bot.domain.symptoms import FollowUp, HurtChoice

MAX_BYTES = 64
# Every number a button carries is a row id (an INTEGER column: 32 bits on PostgreSQL) or a
# small count; a larger one can only be forged and would make the database refuse the query.
MAX_INT = 2**31 - 1
_TOKEN = re.compile(r"^[A-Za-z0-9_+./-]{1,40}$")
SEP = ":"

REGISTRY: dict[str, type[ButtonData]] = {}


class ButtonData:
    """Base of every family: a readable prefix, then typed fields separated by ':'."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix:
            return
        if prefix in REGISTRY:
            raise TypeError(f"button prefix {prefix!r} is taken by {REGISTRY[prefix].__name__}")
        cls.prefix = prefix
        REGISTRY[prefix] = cls

    def pack(self) -> str:
        parts = [self.prefix]
        for f in fields(self):  # type: ignore[arg-type]
            parts.append(_encode(getattr(self, f.name)))
        data = SEP.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"{type(self).__name__} packs to more than {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        parts = data.split(SEP)
        own = _layout(cls)  # type: ignore[arg-type]
        if parts[0] != cls.prefix or len(parts) != len(own) + 1:
            return None
        values: dict[str, Any] = {}
        for (name, kind), raw in zip(own, parts[1:], strict=True):
            value = _decode(kind, raw)
            if value is None:
                return None
            values[name] = value
        return cls(**values)


@cache
def _layout(cls: type[ButtonData]) -> tuple[tuple[str, Any], ...]:
    """Each field's name and type, read once per family (get_type_hints is slow)."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in fields(cls))  # type: ignore[arg-type]


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, int):
        if not 0 <= value <= MAX_INT:
            raise ValueError(f"button int out of range: {value}")
        return str(value)
    if isinstance(value, str) and _TOKEN.match(value):
        return value
    raise ValueError(f"cannot put {value!r} in a button")


def _decode(kind: Any, raw: str) -> Any:
    if kind is bool:
        return {"1": True, "0": False}.get(raw)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(raw)
        except ValueError:
            return None
    if kind is int:
        # ASCII digits only ("²".isdigit() is True), no leading zeros, no signs.
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 16 or (raw.startswith("0") and raw != "0"):
            return None
        number = int(raw)
        return number if number <= MAX_INT else None
    if kind is str:
        return raw if _TOKEN.match(raw) else None
    raise TypeError(f"unsupported button field type {kind!r}")


def parse(data: str | None) -> ButtonData | None:
    """The button a payload names, or None for anything that is not exactly one of ours."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    family = REGISTRY.get(data.split(SEP, 1)[0])
    return family.unpack(data) if family is not None else None


# --------------------------------------------------------------------------- families


class Intro(StrEnum):
    WELCOME = "welcome"
    CONSENT = "consent"


@dataclass(frozen=True)
class IntroButton(ButtonData, prefix="ob"):
    choice: Intro


class Go(StrEnum):
    NOW = "now"
    LATER = "later"


@dataclass(frozen=True)
class GoButton(ButtonData, prefix="go"):
    """Start a session now (home screen, end of onboarding), or wait for the reminder."""

    choice: Go


@dataclass(frozen=True)
class ScreenAnswer(ButtonData, prefix="rf"):
    """A yes/no to one red-flag question, named by its key."""

    question: str
    yes: bool


class ScreenControl(StrEnum):
    CLEARED = "cleared"  # a clinician has cleared me
    REDO = "redo"  # answer the safety questions again


@dataclass(frozen=True)
class ScreenButton(ButtonData, prefix="scr"):
    choice: ScreenControl


@dataclass(frozen=True)
class ZoneButton(ButtonData, prefix="tz"):
    """A time zone: an IANA name, or a fixed offset in minutes east of UTC (`offset`)."""

    zone: str


@dataclass(frozen=True)
class TimeButton(ButtonData, prefix="tm"):
    """A reminder time as minutes after midnight."""

    minutes: int


@dataclass(frozen=True)
class BandButton(ButtonData, prefix="band"):
    has_band: bool


class PainWhen(StrEnum):
    BEFORE = "b"
    AFTER = "a"


@dataclass(frozen=True)
class PainButton(ButtonData, prefix="pn"):
    session: int
    when: PainWhen
    rating: int


class StepAction(StrEnum):
    TIMER = "t"
    DONE = "d"
    SKIP = "s"
    HURT = "p"


@dataclass(frozen=True)
class StepButton(ButtonData, prefix="x"):
    session: int
    step: int
    action: StepAction


@dataclass(frozen=True)
class HurtButton(ButtonData, prefix="h"):
    """A choice after "stop - it hurts" (go on, end, new numbness or weakness, spreading pain)."""

    session: int
    step: int
    choice: HurtChoice


@dataclass(frozen=True)
class FollowUpButton(ButtonData, prefix="fu"):
    """How the pain is now, asked with the reminder after a session whose pain went up."""

    answer: FollowUp


@dataclass(frozen=True)
class HoldButton(ButtonData, prefix="hold"):
    """Choose the hold length for an exercise whose dose is a range (the step, /settings)."""

    exercise: str
    seconds: int


class Resume(StrEnum):
    CONTINUE = "c"
    RESTART = "r"
    END = "e"


@dataclass(frozen=True)
class ResumeButton(ButtonData, prefix="rs"):
    session: int
    choice: Resume


class ReminderAction(StrEnum):
    START = "go"
    SNOOZE_30 = "s30"
    SNOOZE_60 = "s60"
    SKIP = "skip"


@dataclass(frozen=True)
class ReminderButton(ButtonData, prefix="rm"):
    reminder: int
    action: ReminderAction


class SettingsChoice(StrEnum):
    TIME = "time"
    TIMEZONE = "tz"
    DAYS = "days"
    PAUSE = "pause"
    RESUME = "resume"
    LANGUAGE = "lang"
    BAND = "band"
    HOLD = "hold"


@dataclass(frozen=True)
class SettingsButton(ButtonData, prefix="st"):
    choice: SettingsChoice


@dataclass(frozen=True)
class WeekdayButton(ButtonData, prefix="wd"):
    """Toggle a maintenance weekday (0 = Monday), or save with `save`."""

    day: int
    save: bool


@dataclass(frozen=True)
class LanguageButton(ButtonData, prefix="lang"):
    locale: str


class CheckinAnswer(StrEnum):
    LESS_SORE = "less"
    STILL_SORE = "sore"


@dataclass(frozen=True)
class CheckinButton(ButtonData, prefix="ci"):
    answer: CheckinAnswer


class FlareChoice(StrEnum):
    REPORT = "ask"  # "my back is flaring up" (from a reminder or /settings)
    YES = "yes"  # accept the offer to go back to daily
    NO = "no"


@dataclass(frozen=True)
class FlareButton(ButtonData, prefix="fl"):
    choice: FlareChoice


@dataclass(frozen=True)
class DeleteButton(ButtonData, prefix="del"):
    """Confirm /delete; names the user row it erases, so a stale confirmation does nothing."""

    user: int
    confirm: bool


# Every family, for the protocol tests.
FAMILIES: tuple[type[ButtonData], ...] = tuple(REGISTRY.values())
