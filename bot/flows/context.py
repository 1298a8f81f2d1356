"""What a flow works with: the open transaction, the clock, who is asking, and the effects
it decides on. Handlers build nothing of this; the worker does, once per update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.effects import (
    Answer,
    Card,
    Edit,
    Effect,
    Entry,
    Keyboard,
    Priority,
    ReplyKeyboard,
    Retire,
    Send,
    SendFile,
)
from bot.i18n import Translator, pick_locale, translator
from bot.services import store
from bot.views.general import expired, settled
from config import Settings
from db.models import User


@dataclass(frozen=True)
class HoldTimer:
    """A hold timer to start once the transaction commits (see bot/pipeline/timers.py)."""

    session_id: int
    step: int
    chat_id: int
    locale: str
    seconds: float  # real seconds, already scaled


@dataclass
class Sender:
    """Who the update comes from, as plain values (flows import no Telegram types)."""

    telegram_id: int
    chat_id: int
    first_name: str = ""
    language_code: str | None = None


@dataclass
class FlowContext:
    s: AsyncSession
    settings: Settings
    now: datetime
    who: Sender | None = None
    # Set when the update is a button press: its query and the message it sits on.
    query_id: str | None = None
    pressed_message_id: int | None = None
    # The pressed message's text as the person sees it (None for a photo's or card's caption).
    pressed_text: str | None = None
    priority: Priority = Priority.REPLY
    effects: list[Entry] = field(default_factory=list)
    timers: list[HoldTimer] = field(default_factory=list)
    # Live cards a flow's own statement already read: (chat, slot) -> (message id, kind,
    # media key), None for no card yet. The worker hands them to the sender instead of
    # reading them again (the quick tap's UPDATE returns its card: one round trip fewer).
    slots_read: dict[tuple[int, str], tuple[int, str, str | None] | None] = field(default_factory=dict)
    _user: User | None = None
    _loaded: bool = False
    _answered: bool = False
    _tr: Translator | None = None

    # ------------------------------------------------------------------ who

    @property
    def chat_id(self) -> int:
        if self._user is not None:
            return self._user.chat_id
        assert self.who is not None, "a flow without a sender must load its user first"
        return self.who.chat_id

    async def user(self) -> User | None:
        """The asking user's row, locked for this transaction (loaded once)."""
        if not self._loaded:
            assert self.who is not None
            self._user = await store.get_user(self.s, self.who.telegram_id)
            self._loaded = True
        return self._user

    async def presser(self) -> User | None:
        """The onboarded user who pressed a button; None, with an "expired" notice, otherwise
        (a button from before the set-up ended, or from someone we never met)."""
        user = await self.user()
        if user is None or not user.onboarded:
            self.answer(expired(self.tr))
            return None
        self.answer()
        return user

    def use_user(self, user: User) -> None:
        """A flow that found the user another way (a timer, a reminder run) sets it here."""
        self._user, self._loaded, self._tr = user, True, None

    def use_locale(self, locale: str) -> None:
        """A flow that learned the user's language without loading the row (the quick tap)."""
        self._tr = translator(locale)

    @property
    def tr(self) -> Translator:
        if self._tr is None:
            if self._user is not None:
                locale = self._user.locale
            else:
                locale = pick_locale(self.who.language_code if self.who else None)
            self._tr = translator(locale)
        return self._tr

    # ------------------------------------------------------------------ effects

    def emit(
        self,
        effect: Effect,
        *,
        chat_id: int | None = None,
        priority: Priority | None = None,
        track: str | None = None,
    ) -> None:
        self.effects.append(
            Entry(chat_id if chat_id is not None else self.chat_id, effect, priority or self.priority, track)
        )

    def answer(self, text: str | None = None) -> None:
        """Answer the pressed button once (a notice, or just stop its spinner)."""
        if self.query_id is None or self._answered:
            return
        self._answered = True
        # The answer goes first: the spinner stops before the reply arrives.
        self.effects.insert(0, Entry(self.chat_id, Answer(self.query_id, text), self.priority))

    def send(
        self,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        reply_keyboard: ReplyKeyboard | None = None,
        remove_reply_keyboard: bool = False,
        slot: str | None = None,
    ) -> None:
        self.emit(Send(text, keyboard, reply_keyboard, remove_reply_keyboard, slot))

    def edit_pressed(self, text: str, keyboard: Keyboard | None = None) -> None:
        """Rewrite the message whose button was pressed (e.g. into history, buttons gone)."""
        if self.pressed_message_id is not None:
            self.emit(Edit(text, message_id=self.pressed_message_id, keyboard=keyboard))

    def settle(self, choice: str) -> None:
        """Keep the pressed message as history: its words, the choice made under it, no buttons."""
        if self.pressed_text is not None:
            self.edit_pressed(settled(self.pressed_text, choice))

    def card(
        self,
        slot: str,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        media: str | None = None,
        renew: bool = False,
    ) -> None:
        self.emit(Card(slot, text, keyboard, media, renew))

    def retire(self, slot: str, text: str | None = None) -> None:
        self.emit(Retire(slot, text))

    def file(self, renderer: str, data: dict[str, object], caption: str | None = None) -> None:
        self.emit(SendFile(renderer, dict(data), caption))

    def finish(self) -> None:
        """Called by the worker before commit: no button press is left spinning."""
        self.answer()
