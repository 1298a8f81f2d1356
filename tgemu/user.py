"""The human side of the emulator: a user who types, taps buttons and reads the chat.

Actions (``send_*``, ``press``, ``edit_message``) are synchronous: they only store the
user's message and queue the update, exactly what Telegram does before the bot reacts.
Waiting for the bot is explicit and async (``await user.wait_reply()``), so tests state
what they expect instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tgemu.core import Attachment, FakeTelegram, StoredMessage


@dataclass(frozen=True)
class ChatMessage:
    """Snapshot of one message as the user sees it right now."""

    message_id: int
    from_bot: bool
    text: str | None
    keyboard: list[list[tuple[str, str | None]]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    edit_count: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, msg: StoredMessage) -> ChatMessage:
        payload = msg.payload
        rows = (payload.get("reply_markup") or {}).get("inline_keyboard", [])
        keyboard = [[(b["text"], b.get("callback_data")) for b in row] for row in rows]
        return cls(
            message_id=msg.message_id,
            from_bot=msg.from_bot,
            text=payload.get("text", payload.get("caption")),
            keyboard=keyboard,
            attachments=list(msg.attachments),
            edit_count=msg.edit_count,
            raw=payload,
        )

    @property
    def buttons(self) -> list[str]:
        """All inline button labels, row by row."""
        return [text for row in self.keyboard for text, _ in row]

    @property
    def callback_data(self) -> list[str]:
        return [data for row in self.keyboard for _, data in row if data is not None]

    @property
    def attachment(self) -> Attachment | None:
        return self.attachments[0] if self.attachments else None


class TelegramUser:
    """One person in a private chat with the bot (chat id == user id, as in Telegram)."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.last_name = last_name
        self.username = username
        self._mark = 0  # fake.seq at our last action; replies are bot messages after it
        self._last_query_id: str | None = None

    @property
    def chat_id(self) -> int:
        return self.user_id

    def as_json(self) -> dict[str, Any]:
        """The Bot API ``User`` object for this person."""
        out: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    # ----------------------------------------------------------------------- actions

    def _send(self, content: dict[str, Any], attachments: list[Attachment] | None = None) -> int:
        chat = self.fake.chats[self.chat_id]
        msg = self.fake.add_user_message(chat, self.as_json(), content, attachments or [])
        self._mark = self.fake.seq
        return msg.message_id

    def send_text(self, text: str) -> int:
        """Type a plain message; returns its message_id."""
        return self._send({"text": text})

    def send_command(self, command: str, args: str = "") -> int:
        """Send ``/command args`` with the bot_command entity CommandHandler looks for."""
        from tgemu.core import utf16_len

        command = command if command.startswith("/") else "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self._send({"text": text, "entities": [entity]})

    def send_location(self, latitude: float, longitude: float) -> int:
        return self._send({"location": {"latitude": latitude, "longitude": longitude}})

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self.fake.store_upload("sticker", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "sticker.webp")
        content = self.fake.file_object("sticker", stored, {"emoji": emoji})
        return self._send(content, [self._attachment("sticker", stored.file_id)])

    def send_photo(self, data: bytes | None = None, caption: str | None = None) -> int:
        from tgemu.core import tiny_png

        stored = self.fake.store_upload("photo", data or tiny_png(4, 4), "photo.png")
        content = self.fake.file_object("photo", stored)
        if caption:
            content["caption"] = caption
        return self._send(content, [self._attachment("photo", stored.file_id)])

    def send_voice(self, duration: int = 3, data: bytes = b"OggS\x00voice") -> int:
        stored = self.fake.store_upload("voice", data, None, "audio/ogg")
        content = self.fake.file_object("voice", stored, {"duration": duration})
        return self._send(content, [self._attachment("voice", stored.file_id)])

    def send_document(self, data: bytes, filename: str = "file.txt", caption: str | None = None) -> int:
        stored = self.fake.store_upload("document", data, filename)
        content = self.fake.file_object("document", stored)
        if caption:
            content["caption"] = caption
        return self._send(content, [self._attachment("document", stored.file_id)])

    def _attachment(self, kind: str, file_id: str) -> Attachment:
        from tgemu.core import Attachment

        stored = self.fake.files[file_id]
        return Attachment(kind, file_id, stored.data, stored.filename, stored.mime_type)

    def edit_message(self, message_id: int, new_text: str) -> None:
        """Edit one of our own messages (the bot receives ``edited_message``)."""
        self.fake.user_edit(self.chat_id, message_id, new_text)
        self._mark = self.fake.seq

    def press(self, label_or_data: str, message_id: int | None = None) -> str:
        """Tap the inline button whose text or callback_data matches, newest message first.

        Returns the callback query id. Raises ``LookupError`` listing the visible buttons
        when nothing matches, and ``ValueError`` for URL-only buttons (they open a browser).
        """
        messages = list(self.fake.chats[self.chat_id].messages.values())
        if message_id is not None:
            messages = [m for m in messages if m.message_id == message_id]
        for msg in reversed(messages):
            rows = (msg.payload.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if label_or_data not in (button.get("text"), button.get("callback_data")):
                    continue
                if "callback_data" not in button:
                    raise ValueError(f"button {button['text']!r} is not a callback button")
                return self._press(button["callback_data"], msg.message_id)
        visible = {m.message_id: ChatMessage.from_stored(m).buttons for m in messages if m.from_bot}
        raise LookupError(f"no inline button {label_or_data!r} in chat {self.chat_id}; visible: {visible}")

    def press_raw(self, data: str, message_id: int) -> str:
        """Send a callback query with arbitrary (possibly forged) data for ``message_id``."""
        return self._press(data, message_id)

    def _press(self, data: str, message_id: int) -> str:
        query_id = self.fake.emit_callback_query(self.user_id, self.chat_id, message_id, data)
        self._last_query_id = query_id
        self._mark = self.fake.seq
        return query_id

    def block_bot(self) -> None:
        self.fake.block(self.user_id)

    def unblock_bot(self) -> None:
        self.fake.unblock(self.user_id)

    # ----------------------------------------------------------------------- reading

    def chat(self) -> list[ChatMessage]:
        """Everything visible in the chat, oldest first."""
        return self.fake.chat_view(self.chat_id)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.chat() if m.from_bot]

    def last_bot_message(self) -> ChatMessage:
        """The newest message from the bot; ``LookupError`` if the bot never wrote."""
        messages = self.bot_messages()
        if not messages:
            raise LookupError(f"the bot has not written to chat {self.chat_id}")
        return messages[-1]

    def reply_keyboard(self) -> list[list[str]] | None:
        """The custom reply keyboard currently shown under the input field."""
        return self.fake.chats[self.chat_id].reply_keyboard

    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery payloads (toasts/alerts) the bot sent to this user."""
        return [a for a in self.fake.callback_answers if a["user_id"] == self.user_id]

    def _new_bot_messages(self) -> list[ChatMessage]:
        chat = self.fake.chats[self.chat_id]
        return [
            ChatMessage.from_stored(m) for m in chat.messages.values() if m.from_bot and m.seq > self._mark
        ]

    async def wait_reply(self, timeout: float = 5.0) -> ChatMessage:
        """First new bot message sent after our last action."""
        return (await self.wait_bot_messages(1, timeout))[0]

    async def wait_bot_messages(self, count: int, timeout: float = 5.0) -> list[ChatMessage]:
        """Wait until the bot sent ``count`` new messages after our last action."""
        await self.fake.wait_for(
            lambda: len(self._new_bot_messages()) >= count,
            timeout,
            f"{count} bot message(s) in chat {self.chat_id}",
        )
        return self._new_bot_messages()

    async def wait_activity(self, timeout: float = 5.0) -> list[ChatMessage]:
        """Wait until the bot sent or edited anything after our last action."""

        def changed() -> list[ChatMessage]:
            chat = self.fake.chats[self.chat_id]
            return [
                ChatMessage.from_stored(m)
                for m in chat.messages.values()
                if m.from_bot and m.changed_seq > self._mark
            ]

        await self.fake.wait_for(lambda: bool(changed()), timeout, "bot activity")
        return changed()

    async def wait_callback_answer(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answered our latest button press; returns that answer."""
        query_id = self._last_query_id
        if query_id is None:
            raise LookupError("no button was pressed yet")
        await self.fake.wait_for(
            lambda: self.fake.callback_answer(query_id) is not None,
            timeout,
            f"answerCallbackQuery for {query_id}",
        )
        answer = self.fake.callback_answer(query_id)
        assert answer is not None
        return answer
