"""What a flow asks to be done in Telegram, as plain data.

A flow never calls the Bot API. It returns effects; they are stored in the outbox in the
same transaction as the state change that caused them and delivered after the commit by
the sender (bot/pipeline/sender.py). So nothing is ever shown for state that was rolled
back, and a crash between commit and delivery only delays the message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import IntEnum
from typing import Any, ClassVar


class Priority(IntEnum):
    """Lower goes first: a person's own tap is never kept waiting by a broadcast."""

    REPLY = 0
    FOLLOW_UP = 1  # hold timers, deferred notices
    BROADCAST = 2  # reminders


@dataclass(frozen=True)
class Button:
    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: tuple[Button, ...] | list[Button]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True)
class ReplyKeyboard:
    """A keyboard under the text field: plain labels, optionally one that shares a location."""

    rows: tuple[tuple[str, ...], ...]
    location_label: str | None = None


@dataclass(frozen=True)
class Effect:
    kind: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, whose deep copy of every button
        # was a fifth of a 500-reminder claim.
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))
        data = {name: _plain(getattr(self, name)) for name in names}
        data["kind"] = self.kind
        return data


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """JSON-ready data (what asdict gives, with lists for tuples)."""
    if isinstance(value, Button):
        return {"label": value.label, "data": value.data}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, ReplyKeyboard):
        return asdict(value)
    return value


@dataclass(frozen=True)
class Answer(Effect):
    """Answer a button press (stops the spinner; `text` shows as a short notice)."""

    kind: ClassVar[str] = "answer"
    query_id: str
    text: str | None = None


@dataclass(frozen=True)
class Send(Effect):
    """A new text message. With `slot`, the sender remembers it as that slot's message."""

    kind: ClassVar[str] = "send"
    text: str
    keyboard: Keyboard | None = None
    reply_keyboard: ReplyKeyboard | None = None
    remove_reply_keyboard: bool = False
    slot: str | None = None


@dataclass(frozen=True)
class Edit(Effect):
    """Change a message: the pressed one (`message_id`) or a slot's. Without a keyboard the
    buttons go. If the message can no longer be edited and `fallback_send`, send it anew."""

    kind: ClassVar[str] = "edit"
    text: str
    message_id: int | None = None
    slot: str | None = None
    keyboard: Keyboard | None = None
    fallback_send: bool = False


@dataclass(frozen=True)
class Card(Effect):
    """Show the live card of `slot` (a session step): edited in place when possible, sent
    anew (and the old one removed) when `renew` asks for a notification or it cannot be
    edited. `media` names an illustration (bot/media.py)."""

    kind: ClassVar[str] = "card"
    slot: str
    text: str
    keyboard: Keyboard | None = None
    media: str | None = None
    renew: bool = False


@dataclass(frozen=True)
class Retire(Effect):
    """Turn a slot's message into history: new text without buttons (or deleted when
    `text` is None); the slot is forgotten."""

    kind: ClassVar[str] = "retire"
    slot: str
    text: str | None = None


@dataclass(frozen=True)
class SendFile(Effect):
    """A photo or document made by a renderer (bot/renderers.py) from `data` at send time.

    Storing the data rather than the bytes keeps the transaction short and the outbox
    small; the renderer is a pure function of `data`, so the file shows what was decided.
    """

    kind: ClassVar[str] = "file"
    renderer: str
    data: dict[str, Any] = field(default_factory=dict)
    caption: str | None = None
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class Entry:
    """An effect addressed to a chat, as a flow decided it (stored in the outbox)."""

    chat_id: int
    effect: Effect
    priority: Priority = Priority.REPLY
    # Bookkeeping for the sender once Telegram has answered, e.g. "reminder:42".
    track: str | None = None


EFFECT_TYPES: dict[str, type[Effect]] = {
    cls.kind: cls for cls in (Answer, Send, Edit, Card, Retire, SendFile)
}


def _keyboard(raw: Any) -> Keyboard | None:
    if raw is None:
        return None
    return tuple(tuple(Button(**button) for button in row) for row in raw)


def effect_from_json(data: dict[str, Any]) -> Effect:
    cls = EFFECT_TYPES[data["kind"]]
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "keyboard":
            value = _keyboard(value)
        elif f.name == "reply_keyboard" and value is not None:
            value = ReplyKeyboard(tuple(tuple(row) for row in value["rows"]), value.get("location_label"))
        values[f.name] = value
    return cls(**values)
