"""In-memory Telegram Bot API: state, validation rules and update delivery (no HTTP here).

Everything answers with the same status codes and ``description`` strings the real Bot API
uses, so code that works against :class:`FakeTelegram` meets no surprises in production.
The emulator models one bot talking to many users/groups; the bot's id comes from the digits
of whatever valid token calls it. All state lives on one asyncio loop; nothing is thread-safe.

Deliberate simplifications (documented so nobody relies on them):
* text/caption limits count Unicode code points after entity parsing (TDLib's utf8_length);
  entity offsets are UTF-16 code units, as in the real API;
* leading/trailing whitespace is trimmed from texts like Telegram does (entities shifted);
* files given by HTTP URL are not fetched (no internet) - a placeholder file is stored;
* webhook delivery retries ``webhook_retries`` times with exponential backoff and then
  drops the update (Telegram keeps trying longer); updates of one chat are never delivered
  concurrently, different chats go in parallel up to ``max_connections``;
* injected faults (:meth:`FakeTelegram.fail_next`) happen before the method runs unless
  ``executed=True``.
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import math
import mimetypes
import re
import struct
import time
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tgemu.user import ChatMessage, TelegramUser

if TYPE_CHECKING:  # aiohttp is only needed for webhook delivery (tests), not by the demo
    import aiohttp

JSON = dict[str, Any]
Files = dict[str, tuple[str, bytes]]

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{30,50})$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

#: Sent unless the bot asks for them explicitly, as documented for ``allowed_updates``.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Parameters arrive as strings over form/multipart/query; these get typed like Telegram does.
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "from_chat_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "show_caption_above_media",
        "disable_content_type_detection",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "allowed_updates",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
        "media",
    }
)


class ApiError(Exception):
    """A Bot API failure: becomes ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        out: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class EntityParseError(ValueError):
    """Raised by the parse_mode parsers with Telegram's wording after "can't parse entities: "."""


@dataclass
class Attachment:
    """A file carried by a message, kept byte-exact so tests can inspect what the user got."""

    kind: str
    file_id: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str


@dataclass
class StoredMessage:
    """A message as the chat currently shows it (``payload`` is the Bot API Message)."""

    chat_id: int
    message_id: int
    from_bot: bool
    payload: JSON
    attachments: list[Attachment] = field(default_factory=list)
    edit_count: int = 0
    seq: int = 0
    changed_seq: int = 0


@dataclass
class ChatState:
    id: int
    type: str
    info: JSON
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: list[list[str]] | None = None
    blocked: bool = False
    bot_member: bool = True


@dataclass(frozen=True)
class SendRecord:
    """One successful outgoing message or edit; ``ts`` is on the emulator's monotonic clock."""

    ts: float
    chat_id: int
    method: str
    message_id: int | None


@dataclass(frozen=True)
class CallRecord:
    ts: float
    method: str
    params: JSON
    status: int
    description: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    ts: float
    url: str
    update_id: int
    status: int | None
    error: str | None


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    parameters: JSON | None
    chat_id: int | str | None
    times: int
    executed: bool


@dataclass
class _CallbackQuery:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    created: float
    answered: bool = False


# --------------------------------------------------------------------------- text helpers


def utf16_len(text: str) -> int:
    """Entity offsets/lengths are measured in UTF-16 code units by the Bot API."""
    return len(text.encode("utf-16-le")) // 2


class _Builder:
    """Accumulates plain text while tracking the UTF-16 position for entity offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.chars = 0  # code points so far, to slice the produced text back out
        self.entities: list[JSON] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)
        self.chars += len(chunk)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append({"type": kind, "offset": start, "length": self.pos - start, **extra})

    def result(self) -> tuple[str, list[JSON]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
    "blockquote": "blockquote",
}
_HTML_ATTR_RE = re.compile(r"""([A-Za-z][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_HTML_CHARREF_RE = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Parse Telegram's HTML subset; unknown tags and bad nesting fail like TDLib does."""
    out = _Builder()
    stack: list[tuple[str, int, JSON]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            m = _HTML_CHARREF_RE.match(text, i)
            if m:
                out.add(html.unescape(m.group(0)))
                i = m.end()
                continue
            out.add(ch)
            i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        begin = _byte_offset(text, i)
        if text.startswith("</", i):
            end = text.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
            top, start, extra = stack.pop()
            if name != top:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{top}>", found "</{name}>"'
                )
            _close_html(out, top, start, extra, stack)
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] not in "/>":
            j += 1
        name = text[i + 1 : j].lower()
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        k, quote = j, ""
        while k < n and (quote or text[k] != ">"):
            if quote and text[k] == quote:
                quote = ""
            elif not quote and text[k] in "\"'":
                quote = text[k]
            k += 1
        if k >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        attrs = {
            m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
            for m in _HTML_ATTR_RE.finditer(text[j:k].rstrip("/"))
        }
        attrs = {key: html.unescape(value) for key, value in attrs.items()}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and "emoji-id" not in attrs:
            raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        stack.append((name, out.pos, attrs))
        i = k + 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(out: _Builder, tag: str, start: int, attrs: JSON, stack: list[Any]) -> None:
    kind = _HTML_TAGS[tag]
    if kind == "text_link":
        if attrs.get("href"):
            out.entity("text_link", start, url=attrs["href"])
    elif kind == "custom_emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs["emoji-id"])
    elif kind == "blockquote":
        out.entity("expandable_blockquote" if "expandable" in attrs else "blockquote", start)
    elif kind == "code" and stack and stack[-1][0] == "pre":
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            stack[-1][2]["language"] = lang.removeprefix("language-")
        else:
            out.entity("code", start)
    elif kind == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
    else:
        out.entity(kind, start)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def parse_markdown_v2(text: str) -> tuple[str, list[JSON]]:
    """Parse MarkdownV2, including the "reserved character must be escaped" rule."""
    out = _Builder()
    stack: list[tuple[str, int, int, str]] = []  # kind, utf16 start, byte offset, language
    quote_start: int | None = None
    i, n = 0, len(text)

    def toggle(kind: str) -> None:
        if stack and stack[-1][0] == kind:
            _, start, _, _ = stack.pop()
            out.entity(kind, start)
        else:
            stack.append((kind, out.pos, _byte_offset(text, i), ""))

    while i < n:
        ch = text[i]
        top = stack[-1][0] if stack else None
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            out.add(text[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            if top == "pre" and text.startswith("```", i):
                _, start, _, lang = stack.pop()
                out.entity("pre", start, **({"language": lang} if lang else {}))
                i += 3
            elif top == "code" and ch == "`":
                toggle("code")
                i += 1
            else:
                out.add(ch)
                i += 1
            continue
        at_line_start = i == 0 or text[i - 1] == "\n"
        if ch == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if ch == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if ch == "`":
            if text.startswith("```", i):
                begin = _byte_offset(text, i)
                i += 3
                newline, closing = text.find("\n", i), text.find("```", i)
                lang = ""
                if newline != -1 and (closing == -1 or newline < closing):
                    lang, i = text[i:newline].strip(), newline + 1
                stack.append(("pre", out.pos, begin, lang))
            else:
                toggle("code")
                i += 1
            continue
        if ch == "*":
            toggle("bold")
            i += 1
        elif ch == "_" and text.startswith("__", i) and top != "italic":
            toggle("underline")
            i += 2
        elif ch == "_":
            toggle("italic")
            i += 1
        elif ch == "~":
            toggle("strikethrough")
            i += 1
        elif ch == "|" and text.startswith("||", i):
            toggle("spoiler")
            i += 2
        elif ch == "[":
            stack.append(("text_link", out.pos, _byte_offset(text, i), str(out.chars)))
            i += 1
        elif ch == "]" and top == "text_link":
            _, start, _, label_start = stack.pop()
            url = "".join(out.parts)[int(label_start) :]  # "[https://x.y]" links to itself
            i += 1
            if i < n and text[i] == "(":
                url_begin = _byte_offset(text, i)
                chars: list[str] = []
                i += 1
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n:
                        i += 1
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Can't find end of a URL at byte offset {url_begin}")
                url = "".join(chars)
                i += 1
            if re.match(r"^(https?|tg)://", url):
                out.entity("text_link", start, url=url)
        elif ch in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.add(ch)
            i += 1
    if stack:
        kind, _, begin, _ = stack[-1]
        raise EntityParseError(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {begin}")
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def parse_markdown(text: str) -> tuple[str, list[JSON]]:
    """Parse legacy Markdown: flat *bold*, _italic_, `code`, ```pre``` and [text](url)."""
    out = _Builder()
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "*_`[":
            out.add(ch)
            i += 1
            continue
        begin = _byte_offset(text, i)
        failure = EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        start = out.pos
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise failure
            out.add(text[i + 3 : end])
            out.entity("pre", start)
            i = end + 3
        elif ch == "[":
            close = text.find("](", i + 1)
            end = text.find(")", close + 2) if close != -1 else -1
            if end == -1:
                raise failure
            out.add(text[i + 1 : close])
            out.entity("text_link", start, url=text[close + 2 : end])
            i = end + 1
        else:
            end = text.find(ch, i + 1)
            if end == -1:
                raise failure
            out.add(text[i + 1 : end])
            out.entity({"*": "bold", "_": "italic", "`": "code"}[ch], start)
            i = end + 1
    return out.result()


def _strip_formatted(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram trims surrounding whitespace and shifts/clips entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSON] = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            kept.append({**ent, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------- files/images

_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """Return a valid red RGB PNG, handy as photo payload in tests."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _PNG_SIG + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of a PNG, JPEG, GIF or WebP; ``None`` if Telegram could not decode it."""
    if data.startswith(_PNG_SIG) and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
                i += 1 if marker == 0xFF else 2
                continue
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + seg_len
    return None


_MEDIA_KINDS: dict[str, str] = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendvoice": "voice",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendanimation": "animation",
    "sendsticker": "sticker",
}
_DEFAULT_MIME = {
    "photo": "image/jpeg",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "animation": "video/mp4",
    "sticker": "image/webp",
    "document": "application/octet-stream",
}


# --------------------------------------------------------------------------- the emulator

Handler = Callable[[JSON, Files], Awaitable[Any]]
#: ``None`` = leave the reply keyboard alone; ``(rows,)`` = show rows; ``(None,)`` = remove.
_KeyboardChange = tuple[list[list[str]] | None] | None


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """Largest number of `times` (ascending) inside any sliding `window` seconds."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class FakeTelegram:
    """The whole fake Telegram: chats, updates, webhook delivery, fault injection, counters.

    ``call`` is the single entry used by :class:`EmulatorRequest` (in-process) and by the
    aiohttp server, so both transports see identical behaviour.
    """

    _issued_up_to: int = 500_000_000

    def __init__(
        self,
        *,
        bot_first_name: str = "Stretch Coach",
        bot_username: str = "stretch_coach_test_bot",
        callback_query_ttl: float = 900.0,
        webhook_retries: int = 3,
        webhook_backoff: float = 0.05,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.bot_id = 1234567890
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.callback_query_ttl = callback_query_ttl
        self.webhook_retries = webhook_retries
        self.webhook_backoff = webhook_backoff
        self.webhook_timeout = webhook_timeout

        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, TelegramUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.callback_answers: list[JSON] = []
        # Every file the bot uploaded (not re-sent by file_id), in order.
        self.uploads: list[StoredFile] = []
        self.deleted: list[StoredMessage] = []

        self.calls: deque[CallRecord] = deque(maxlen=100_000)
        self.status_counts: Counter[int] = Counter()
        self._sends: list[SendRecord] = []
        self._recent: dict[int | None, deque[float]] = {}

        self._time_offset = 0.0
        # Seconds between performing a call and answering it (network latency).
        self.response_delay = 0.0
        self.seq = 0  # global change counter: every message creation/edit bumps it
        self._ids = itertools.count(1)
        # Telegram's update ids only grow; a new emulator (a "restart" of Telegram in a test)
        # continues above every id any earlier instance handed out.
        self._next_update_id = FakeTelegram._issued_up_to + 1
        self._updates: list[JSON] = []
        self._handed_out = 0
        # Update ids Telegram counts as delivered: a later getUpdates offset passed them, or
        # the webhook answered 2xx. From then on Telegram never sends them again.
        self.acknowledged: set[int] = set()
        self._ack_hooks: list[Callable[[list[int]], None]] = []
        # Methods whose calls wait, not performed, until release_calls() (a stalled Telegram).
        self._held_methods: frozenset[str] = frozenset()
        self._held_release: asyncio.Event | None = None
        self.held_calls = 0
        self._allowed: frozenset[str] | None = None
        self._poll_waiter: asyncio.Future[str] | None = None
        self._change_waiters: set[asyncio.Future[None]] = set()
        self._version = 0
        self._queries: dict[str, _CallbackQuery] = {}
        self._faults: list[_Fault] = []
        self._revoked: set[str] = set()
        self._global_limit: int | None = None
        self._chat_limit: tuple[int, float] | None = None
        self._group_limit: int | None = None

        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections = 40
        self.webhook_last_error: tuple[int, str] | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._targets: list[str] = []
        self._targets_secret: str | None = None
        self._rr = 0
        self._scheduled: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_locks: dict[Any, asyncio.Lock] = {}
        self._delivery_sem: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None

        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagemedia": self._edit_message_media,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._text_setter("description"),
            "getmydescription": self._text_getter("description"),
            "setmyshortdescription": self._text_setter("short_description"),
            "getmyshortdescription": self._text_getter("short_description"),
            "setmyname": self._text_setter("name"),
            "getmyname": self._text_getter("name"),
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "getchat": self._get_chat,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }
        for method, kind in _MEDIA_KINDS.items():
            self._methods[method] = self._media_sender(kind)

    async def __aenter__(self) -> FakeTelegram:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop webhook deliveries, release long polls and close the HTTP client session."""
        self.release_pollers()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------------- clock

    def now(self) -> float:
        """Wall-clock seconds (message dates), shifted by :meth:`advance`."""
        return time.time() + self._time_offset

    def monotonic(self) -> float:
        """Monotonic seconds for rate windows and query expiry, shifted by :meth:`advance`."""
        return time.monotonic() + self._time_offset

    def advance(self, seconds: float) -> None:
        """Pretend time passed (expires callback queries, empties rate windows)."""
        self._time_offset += seconds

    # ----------------------------------------------------------------------- dispatch

    async def call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: Files | None = None,
    ) -> tuple[int, JSON]:
        """Execute one Bot API method; returns (HTTP status, JSON body) exactly as Telegram."""
        self._kick_delivery()  # updates pushed while no loop was running
        m = TOKEN_RE.match(token)
        if not m or token in self._revoked:
            return self._finish(method, params, ApiError(401, "Unauthorized"))
        self.bot_id = int(m.group(1))
        handler = self._methods.get(method.lower())
        if handler is None:
            return self._finish(method, params, ApiError(404, "Not Found"))
        files = files or {}
        try:
            params = _normalize(params)
        except ApiError as exc:
            return self._finish(method, params, exc)
        if method.lower() in self._held_methods and self._held_release is not None:
            release = self._held_release
            self.held_calls += 1
            self._notify()
            try:
                await release.wait()  # cancelled if the client goes away meanwhile
            finally:
                self.held_calls -= 1
        fault = self._take_fault(method, params)
        if fault is not None and not fault.executed:
            return self._finish(method, params, ApiError(fault.status, fault.description, fault.parameters))
        try:
            result = await handler(params, files)
        except ApiError as exc:
            return self._finish(method, params, exc)
        if fault is not None:
            return self._finish(method, params, ApiError(fault.status, fault.description, fault.parameters))
        if self.response_delay and method.lower() != "getupdates":
            # The user already sees the message; the bot hears back a round trip later.
            await asyncio.sleep(self.response_delay)
        return self._finish(method, params, None, result)

    def _finish(
        self, method: str, params: JSON, error: ApiError | None, result: Any = None
    ) -> tuple[int, JSON]:
        status = error.status if error else 200
        self.status_counts[status] += 1
        self.calls.append(
            CallRecord(self.monotonic(), method, params, status, error.description if error else None)
        )
        if error is not None:
            return error.status, error.body()
        return 200, {"ok": True, "result": result}

    def revoke(self, token: str) -> None:
        """Make a well-formed token answer 401, as after /revoke in BotFather."""
        self._revoked.add(token)

    # ----------------------------------------------------------------------- faults/limits

    def fail_next(
        self,
        method: str,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        executed: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) with an error.

        ``executed=True`` still performs the call (message delivered) and only loses the
        answer, like a gateway timing out after Telegram acted.
        """
        parameters: JSON | None = None
        if status == 429:
            retry_after = max(1, retry_after or 1)
        if retry_after:
            parameters = {"retry_after": retry_after}
        defaults = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            409: "Conflict",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
            504: "Gateway Timeout",
        }
        self._faults.append(
            _Fault(
                method=method.lower(),
                status=status,
                description=description or defaults.get(status, "Internal Server Error"),
                parameters=parameters,
                chat_id=chat_id,
                times=times,
                executed=executed,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def hold_calls(self, *methods: str) -> None:
        """Stall calls of ``methods``: each waits, not yet performed, until :meth:`release_calls`.

        Nothing reaches the chat meanwhile, unlike ``response_delay`` (performed at once,
        answered late); a caller that disconnects while held leaves no trace. ``held_calls``
        counts the calls waiting right now.
        """
        self.release_calls()
        self._held_methods = frozenset(m.lower() for m in methods)
        self._held_release = asyncio.Event()

    def release_calls(self) -> None:
        """Let held calls go on (performed now, in arrival order) and stop holding."""
        if self._held_release is not None:
            self._held_release.set()
        self._held_methods = frozenset()
        self._held_release = None

    # ----------------------------------------------------------------------- acknowledgement

    @property
    def highest_acknowledged(self) -> int:
        """The highest update id Telegram counts as delivered (0 if none)."""
        return max(self.acknowledged, default=0)

    def on_acknowledged(self, hook: Callable[[list[int]], None]) -> None:
        """Call ``hook(ids)`` synchronously, inside the acknowledging request, whenever update
        ids become acknowledged: before getUpdates answers, or before the webhook delivery
        that got the 2xx returns."""
        self._ack_hooks.append(hook)

    def _acknowledge(self, ids: list[int]) -> None:
        new = [uid for uid in ids if uid not in self.acknowledged]
        if not new:
            return
        self.acknowledged.update(new)
        for hook in list(self._ack_hooks):
            hook(new)
        self._notify()

    def _take_fault(self, method: str, params: JSON) -> _Fault | None:
        for fault in self._faults:
            if fault.method not in ("*", method.lower()):
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def block(self, user_id: int, notify: bool = True) -> None:
        """The user blocks the bot: sends/edits answer 403 (and a my_chat_member update)."""
        self._set_blocked(user_id, True, notify)

    def unblock(self, user_id: int, notify: bool = True) -> None:
        self._set_blocked(user_id, False, notify)

    def _set_blocked(self, user_id: int, blocked: bool, notify: bool) -> None:
        chat = self.chats[user_id]
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        if notify:
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self._emit_my_chat_member(chat, self.users[user_id].as_json(), old, new)

    def enforce_global_rate(self, per_second: int | None = 30) -> None:
        """Answer 429 once more than ``per_second`` sends happen in any 1 s window."""
        self._global_limit = per_second

    def enforce_chat_rate(
        self, max_per_window: int | None = 3, window: float = 1.0, group_per_minute: int | None = 20
    ) -> None:
        """Per-chat flood control: bursts of ``max_per_window`` per ``window``; groups 20/min."""
        self._chat_limit = (max_per_window, window) if max_per_window else None
        self._group_limit = group_per_minute

    def _check_rate(self, chat: ChatState) -> None:
        now = self.monotonic()
        checks: list[tuple[int | None, float, int]] = []
        if self._global_limit:
            checks.append((None, 1.0, self._global_limit))
        if self._chat_limit:
            checks.append((chat.id, self._chat_limit[1], self._chat_limit[0]))
        if self._group_limit and chat.type in ("group", "supergroup"):
            checks.append((chat.id, 60.0, self._group_limit))
        for key, window, limit in checks:
            times = self._recent.get(key, deque())
            inside = [t for t in times if t > now - window]
            if len(inside) >= limit:
                retry = max(1, math.ceil(inside[-limit] + window - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _record_send(self, chat_id: int, method: str, message_id: int | None) -> None:
        now = self.monotonic()
        self._sends.append(SendRecord(now, chat_id, method, message_id))
        for key in (None, chat_id):
            times = self._recent.setdefault(key, deque())
            times.append(now)
            while times and times[0] < now - 60.0:
                times.popleft()

    def sends(self, chat_id: int | None = None) -> list[SendRecord]:
        """Every successful outgoing message/edit, optionally for one chat."""
        return [s for s in self._sends if chat_id is None or s.chat_id == chat_id]

    def max_rate(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Largest number of sends inside any sliding ``window`` seconds."""
        return max_in_window([s.ts for s in self.sends(chat_id)], window)

    @property
    def count_429(self) -> int:
        return self.status_counts[429]

    @property
    def count_403(self) -> int:
        return self.status_counts[403]

    def calls_to(self, method: str) -> list[CallRecord]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # ----------------------------------------------------------------------- change waiting

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def callback_answer(self, query_id: str) -> JSON | None:
        """The answerCallbackQuery payload for ``query_id``, if the bot answered it."""
        return next((a for a in self.callback_answers if a["callback_query_id"] == query_id), None)

    def _notify(self) -> None:
        self._version += 1
        waiters, self._change_waiters = self._change_waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _changed(self) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._change_waiters.add(fut)
        try:
            await fut
        finally:
            self._change_waiters.discard(fut)

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking after every state change."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None

    async def settle(self, quiet: float = 0.1, timeout: float = 5.0) -> None:
        """Wait until every update was handed to the bot and nothing changed for ``quiet`` s."""

        def handed_out() -> bool:
            return all(u["update_id"] <= self._handed_out for u in self._updates) and not (self._scheduled)

        async with asyncio.timeout(timeout):
            while True:
                await self.wait_for(handed_out, timeout, "updates to be consumed")
                version = self._version
                await asyncio.sleep(quiet)
                if version == self._version and handed_out():
                    return

    # ----------------------------------------------------------------------- chats & users

    def bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
    ) -> TelegramUser:
        """The user (and their private chat with the bot); same id returns the same user."""
        if user_id in self.users:
            return self.users[user_id]
        person = TelegramUser(self, user_id, first_name, language_code, last_name, username)
        self.users[user_id] = person
        info: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            info["last_name"] = last_name
        if username:
            info["username"] = username
        self.chats[user_id] = ChatState(user_id, "private", info)
        return person

    def _group(self, chat_id: int, title: str, kind: str | None = None) -> ChatState:
        if chat_id not in self.chats:
            kind = kind or ("supergroup" if str(chat_id).startswith("-100") else "group")
            info = {"id": chat_id, "type": kind, "title": title}
            self.chats[chat_id] = ChatState(chat_id, kind, info)
        return self.chats[chat_id]

    def _sender(self, who: TelegramUser | int) -> JSON:
        if isinstance(who, TelegramUser):
            return who.as_json()
        if who in self.users:
            return self.users[who].as_json()
        return {"id": who, "is_bot": False, "first_name": f"User{who}"}

    def group_message(
        self,
        chat_id: int,
        from_user: TelegramUser | int,
        text: str,
        title: str = "Test group",
        chat_type: str | None = None,
    ) -> int:
        """A user writes in a group (a leading /command gets its bot_command entity)."""
        chat = self._group(chat_id, title, chat_type)
        content: JSON = {"text": text}
        if text.startswith("/"):
            content["entities"] = [_command_entity(text)]
        return self.add_user_message(chat, self._sender(from_user), content).message_id

    def channel_post(
        self, chat_id: int, text: str, title: str = "Test channel", username: str | None = None
    ) -> int:
        """A post in a channel where the bot is admin (no ``from``, has ``sender_chat``)."""
        chat = self._group(chat_id, title, "channel")
        if username:
            chat.info["username"] = username
        msg = self._store(chat, None, {"text": text, "sender_chat": dict(chat.info)}, False)
        self.push_update({"channel_post": copy.deepcopy(msg.payload)})
        return msg.message_id

    def add_bot_to_group(self, chat_id: int, by_user: TelegramUser | int, title: str = "Test group") -> None:
        """Someone adds the bot to a group: emits the my_chat_member update Telegram sends."""
        chat = self._group(chat_id, title)
        chat.bot_member = True
        self._emit_my_chat_member(chat, self._sender(by_user), "left", "member")

    def remove_bot_from_group(self, chat_id: int, by_user: TelegramUser | int) -> None:
        chat = self.chats[chat_id]
        chat.bot_member = False
        self._emit_my_chat_member(chat, self._sender(by_user), "member", "left")

    def _emit_my_chat_member(self, chat: ChatState, actor: JSON, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            out: JSON = {"user": self.bot_user(), "status": status}
            if status == "kicked":
                out["until_date"] = 0
            return out

        self.push_update(
            {
                "my_chat_member": {
                    "chat": dict(chat.info),
                    "from": actor,
                    "date": int(self.now()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def chat_view(self, chat_id: int) -> list[ChatMessage]:
        """The chat as its members see it now (deleted messages gone, edits applied)."""
        return [ChatMessage.from_stored(m) for m in self.chats[chat_id].messages.values()]

    def _store(self, chat: ChatState, sender: JSON | None, content: JSON, from_bot: bool) -> StoredMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        payload: JSON = {"message_id": message_id}
        if sender is not None:
            payload["from"] = sender
        payload.update({"chat": dict(chat.info), "date": int(self.now())})
        payload.update(content)
        seq = self._next_seq()
        msg = StoredMessage(chat.id, message_id, from_bot, payload, seq=seq, changed_seq=seq)
        chat.messages[message_id] = msg
        self._notify()
        return msg

    def add_user_message(
        self, chat: ChatState, sender: JSON, content: JSON, attachments: Iterable[Attachment] = ()
    ) -> StoredMessage:
        """Store a user's message and queue the ``message`` update for the bot."""
        msg = self._store(chat, sender, content, False)
        msg.attachments.extend(attachments)
        self.push_update({"message": copy.deepcopy(msg.payload)})
        return msg

    def user_edit(self, chat_id: int, message_id: int, new_text: str) -> None:
        msg = self.chats[chat_id].messages.get(message_id)
        if msg is None or msg.from_bot:
            raise LookupError(f"no user message {message_id} in chat {chat_id}")
        msg.payload["text"] = new_text
        msg.payload.pop("entities", None)
        if new_text.startswith("/"):
            msg.payload["entities"] = [_command_entity(new_text)]
        msg.payload["edit_date"] = int(self.now())
        msg.edit_count += 1
        msg.changed_seq = self._next_seq()
        self.push_update({"edited_message": copy.deepcopy(msg.payload)})

    def store_upload(
        self, kind: str, data: bytes, filename: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep file bytes under a fresh file_id, as Telegram does for every upload."""
        n = next(self._ids)
        mime = mime_type or (mimetypes.guess_type(filename)[0] if filename else None)
        mime = mime or _DEFAULT_MIME.get(kind, "application/octet-stream")
        ext = mimetypes.guess_extension(mime) or ".bin"
        stored = StoredFile(
            file_id=f"BQACAgI{kind[:3].upper()}{n:010d}AAEmulated",
            file_unique_id=f"AgAD{n:08d}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime,
            file_path=f"{kind}s/file_{n}{ext}",
        )
        self.files[stored.file_id] = stored
        self.uploads.append(stored)
        return stored

    def file_object(self, kind: str, stored: StoredFile, extra: JSON | None = None) -> JSON:
        """The Bot API object for a stored file (PhotoSize list, Document, Voice, ...)."""
        extra = extra or {}
        base: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if kind == "photo":
            width, height = image_size(stored.data) or (320, 320)
            sizes = []
            scale = 90 / max(width, height)
            if scale < 1:
                sizes.append(
                    {
                        **base,
                        "file_id": stored.file_id + "_s",
                        "file_unique_id": stored.file_unique_id + "s",
                        "width": max(1, round(width * scale)),
                        "height": max(1, round(height * scale)),
                    }
                )
                self.files[stored.file_id + "_s"] = stored
            sizes.append({**base, "width": width, "height": height})
            return {"photo": sizes}
        obj = dict(base)
        if kind in ("document", "audio", "video", "animation") and stored.filename:
            obj["file_name"] = stored.filename
        if kind != "sticker":
            obj["mime_type"] = stored.mime_type
        if kind in ("voice", "audio", "video", "animation"):
            obj["duration"] = extra.get("duration", 1)
        if kind in ("video", "animation"):
            obj.update(width=extra.get("width", 320), height=extra.get("height", 240))
        if kind == "sticker":
            obj.update(
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji=extra.get("emoji", "👍"),
            )
        return {kind: obj}

    # ----------------------------------------------------------------------- updates

    def push_update(self, update: JSON) -> int:
        """Queue a raw update (``update_id`` assigned if missing); wakes pollers/webhooks."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        FakeTelegram._issued_up_to = max(FakeTelegram._issued_up_to, self._next_update_id)
        self._updates.append(update)
        self._wake_poller("update")
        self._kick_delivery()
        self._notify()
        return int(update["update_id"])

    def emit_callback_query(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        msg = self.chats[chat_id].messages.get(message_id)
        if msg is None:
            raise LookupError(f"message {message_id} not found in chat {chat_id}")
        query_id = str(4_100_000_000_000_000_000 + next(self._ids))
        self._queries[query_id] = _CallbackQuery(query_id, chat_id, message_id, user_id, self.monotonic())
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._sender(user_id),
                    "message": copy.deepcopy(msg.payload),
                    "chat_instance": str(abs(chat_id) * 7919 + 104729),
                    "data": data,
                }
            }
        )
        return query_id

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self._updates)

    @property
    def long_polling(self) -> bool:
        """A getUpdates call is waiting for updates right now (calls are only recorded when
        they return, so a fresh long poll shows here first)."""
        return self._poll_waiter is not None and not self._poll_waiter.done()

    def release_pollers(self) -> None:
        """End a waiting long poll now (used on server shutdown)."""
        self._wake_poller("release")

    def _wake_poller(self, reason: str) -> None:
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result(reason)

    def _is_allowed(self, update: JSON) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed is None:
            return kind not in OPT_IN_UPDATES
        return kind in self._allowed

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else None

    @property
    def webhook_active(self) -> bool:
        return bool(self.webhook_url or self._targets)

    async def _get_updates(self, p: JSON, files: Files) -> list[JSON]:
        if self.webhook_active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _as_int(p.get("offset") or 0, "offset")
        limit = min(max(_as_int(p.get("limit") or 100, "limit"), 1), 100)
        timeout = max(_as_float(p.get("timeout") or 0, "timeout"), 0.0)
        self._set_allowed(p.get("allowed_updates"))
        if offset > 0:
            confirmed = [u["update_id"] for u in self._updates if u["update_id"] < offset]
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._acknowledge(confirmed)
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._notify()
        self._wake_poller("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._updates = [u for u in self._updates if self._is_allowed(u)]
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if self.webhook_active:  # setWebhook arrived while we waited
                batch = []
                break
            if batch or remaining <= 0:
                break
            fut: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = fut
            self._notify()  # lets tests wait for "a long poll is parked" (see long_polling)
            try:
                async with asyncio.timeout(remaining):
                    reason = await fut
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is fut:
                    self._poll_waiter = None
            if reason == "conflict":
                raise ApiError(409, POLL_CONFLICT)
            if reason in ("timeout", "release"):
                batch = []
                break
        if batch:
            self._handed_out = max(self._handed_out, batch[-1]["update_id"])
            self._notify()
        return copy.deepcopy(batch)

    # ----------------------------------------------------------------------- webhooks

    async def _set_webhook(self, p: JSON, files: Files) -> bool:
        url = str(p.get("url") or "")
        if url and not re.match(r"^https?://[^/\s]+", url):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not SECRET_RE.match(str(secret)):
            raise bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = str(secret) if secret and url else None
        self.webhook_max_connections = min(max(int(p.get("max_connections") or 40), 1), 100)
        self._delivery_sem = None
        self._set_allowed(p.get("allowed_updates"))
        self._wake_poller("release")
        self._kick_delivery()
        return True

    async def _delete_webhook(self, p: JSON, files: Files) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        return True

    async def _get_webhook_info(self, p: JSON, files: Files) -> JSON:
        info: JSON = {
            "url": self.webhook_url or (self._targets[0] if self._targets else ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_active:
            info["max_connections"] = self.webhook_max_connections
            if self._allowed is not None:
                info["allowed_updates"] = sorted(self._allowed)
        if self.webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    def set_delivery_targets(self, urls: list[str] | None, secret: str | None = None) -> None:
        """Deliver updates round-robin to ``urls`` (scale-out tests); ``None``/[] to stop."""
        self._targets = list(urls or [])
        self._targets_secret = secret
        self._kick_delivery()

    def _kick_delivery(self) -> None:
        if not self.webhook_active:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the next API call or push will schedule delivery
        for update in list(self._updates):
            uid = update["update_id"]
            if uid in self._scheduled:
                continue
            self._scheduled.add(uid)
            task = loop.create_task(self._deliver(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, update: JSON) -> None:
        """POST one update with retries; updates of one chat go out strictly in order."""
        uid = update["update_id"]
        key = _update_chat_key(update)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        if self._delivery_sem is None:
            self._delivery_sem = asyncio.Semaphore(self.webhook_max_connections)
        try:
            async with lock, self._delivery_sem:
                for attempt in range(self.webhook_retries + 1):
                    if not self.webhook_active or update not in self._updates:
                        return
                    if not self._is_allowed(update):
                        self._updates.remove(update)
                        return
                    if await self._post_update(update):
                        self._updates.remove(update)
                        self._handed_out = max(self._handed_out, uid)
                        self._acknowledge([uid])
                        return
                    await asyncio.sleep(self.webhook_backoff * 2**attempt)
                if update in self._updates:
                    self._updates.remove(update)  # give up, as Telegram eventually does
        finally:
            self._scheduled.discard(uid)
            self._notify()

    async def _post_update(self, update: JSON) -> bool:
        import aiohttp

        if self._targets:
            url = self._targets[self._rr % len(self._targets)]
            self._rr += 1
            secret = self._targets_secret or self.webhook_secret
        else:
            url, secret = self.webhook_url, self.webhook_secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(url, json=update, headers=headers) as resp:
                status = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {exc!r}"
        ok = status is not None and 200 <= status < 300
        if not ok:
            error = error or f"Wrong response from the webhook: {status}"
            self.webhook_last_error = (int(self.now()), error)
        self.webhook_deliveries.append(
            WebhookDelivery(self.monotonic(), url, update["update_id"], status, error)
        )
        self._notify()  # tests wait for attempts, not only for the end of a delivery
        return ok

    # ----------------------------------------------------------------------- helpers

    def _chat(self, p: JSON) -> ChatState:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.info.get("username", "").lower() == chat_id[1:].lower():
                    return chat
            raise bad("chat not found")
        found = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if found is None:
            raise bad("chat not found")
        return found

    def _guard_outgoing(self, chat: ChatState) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.bot_member:
            kind = "supergroup" if chat.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        self._check_rate(chat)

    def _message(self, chat: ChatState, p: JSON, missing: str) -> StoredMessage:
        message_id = p.get("message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        msg = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if msg is None:
            raise bad(missing)
        return msg

    def _formatted(
        self, text: Any, parse_mode: Any, entities: Any, *, empty: str, limit: int, too_long: str
    ) -> tuple[str, list[JSON]]:
        text = "" if text is None else str(text)
        ents: list[JSON] = []
        if parse_mode and not entities:
            parser = {
                "html": parse_html,
                "markdownv2": parse_markdown_v2,
                "markdown": parse_markdown,
            }.get(str(parse_mode).lower())
            if parser is None:
                raise bad(f"unsupported parse_mode {parse_mode}")
            try:
                text, ents = parser(text)
            except EntityParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        elif entities:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
            ):
                raise bad("can't parse entities JSON object")
            ents = [dict(e) for e in entities]
        text, ents = _strip_formatted(text, ents)
        if empty and not text:
            raise bad(empty)
        if len(text) > limit:  # code points, like TDLib's utf8_length
            raise bad(too_long)
        return text, ents

    def _markup(self, raw: Any) -> tuple[JSON | None, _KeyboardChange]:
        """Validate reply_markup: (inline markup or None, reply-keyboard change or None).

        Reply keyboards are not echoed in the Message; the change is applied to the chat
        only once the send succeeds.
        """
        if raw is None:
            return None, None
        if not isinstance(raw, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            return _validate_inline(raw["inline_keyboard"]), None
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            keyboard = [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]
            return None, (keyboard,)
        if raw.get("remove_keyboard"):
            return None, (None,)
        if raw.get("force_reply"):
            return None, None
        raise bad("can't parse reply keyboard markup JSON object")

    def _inline_only(self, raw: Any) -> JSON | None:
        """Edits accept only inline keyboards."""
        if raw is not None and not (isinstance(raw, dict) and "inline_keyboard" in raw):
            raise bad("can't parse inline keyboard markup JSON object")
        return self._markup(raw)[0]

    def _check_reply(self, chat: ChatState, p: JSON) -> JSON:
        reply = p.get("reply_parameters")
        target: Any = p.get("reply_to_message_id")
        allow = bool(p.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if target is None:
            return {}
        original = chat.messages.get(int(target))
        if original is None:
            if allow:
                return {}
            raise bad("message to be replied not found")
        return {"reply_to_message": copy.deepcopy(original.payload)}

    def _finish_send(
        self,
        chat: ChatState,
        method: str,
        content: JSON,
        attachments: list[Attachment],
        keyboard: _KeyboardChange,
    ) -> JSON:
        if keyboard is not None:
            chat.reply_keyboard = keyboard[0]
        msg = self._store(chat, self.bot_user(), content, True)
        msg.attachments.extend(attachments)
        self._record_send(chat.id, method, msg.message_id)
        return copy.deepcopy(msg.payload)

    def _apply_edit(self, msg: StoredMessage, method: str, changes: JSON, markup: JSON | None) -> JSON:
        for key, value in changes.items():
            if value:
                msg.payload[key] = value
            else:
                msg.payload.pop(key, None)
        if markup:
            msg.payload["reply_markup"] = markup
        else:
            msg.payload.pop("reply_markup", None)
        msg.payload["edit_date"] = int(self.now())
        msg.edit_count += 1
        msg.changed_seq = self._next_seq()
        self._record_send(msg.chat_id, method, msg.message_id)
        self._notify()
        return copy.deepcopy(msg.payload)

    # ----------------------------------------------------------------------- methods

    async def _true(self, p: JSON, files: Files) -> bool:
        return True

    async def _get_me(self, p: JSON, files: Files) -> JSON:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, p: JSON, files: Files) -> JSON:
        chat = self._chat(p)
        text, ents = self._formatted(
            p.get("text"),
            p.get("parse_mode"),
            p.get("entities"),
            empty="message text is empty",
            limit=MAX_TEXT,
            too_long="message is too long",
        )
        markup, keyboard = self._markup(p.get("reply_markup"))
        content: JSON = self._check_reply(chat, p)
        self._guard_outgoing(chat)
        content["text"] = text
        if ents:
            content["entities"] = ents
        if markup:
            content["reply_markup"] = markup
        return self._finish_send(chat, "sendMessage", content, [], keyboard)

    def _media_sender(self, kind: str) -> Handler:
        async def send(p: JSON, files: Files) -> JSON:
            chat = self._chat(p)
            stored = self._input_file(kind, p, files)
            caption, ents = self._formatted(
                p.get("caption"),
                p.get("parse_mode"),
                p.get("caption_entities"),
                empty="",
                limit=MAX_CAPTION,
                too_long="message caption is too long",
            )
            markup, keyboard = self._markup(p.get("reply_markup"))
            content: JSON = self._check_reply(chat, p)
            self._guard_outgoing(chat)
            content.update(self.file_object(kind, stored, p))
            if caption:
                content["caption"] = caption
            if ents:
                content["caption_entities"] = ents
            if markup:
                content["reply_markup"] = markup
            att = Attachment(kind, stored.file_id, stored.data, stored.filename, stored.mime_type)
            method = "send" + kind.capitalize()
            return self._finish_send(chat, method, content, [att], keyboard)

        return send

    def _input_file(self, kind: str, p: JSON, files: Files) -> StoredFile:
        value = p.get(kind)
        upload: tuple[str, bytes] | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad(f"there is no {kind} in the request")
        elif value is None or value == "":
            upload = files.get(kind)
            if upload is None:
                raise bad(f"there is no {kind} in the request")
        elif isinstance(value, str) and value in self.files:
            known = self.files[value]
            if (known.kind == "photo") != (kind == "photo"):
                raise bad("type of file mismatch")
            return known
        elif isinstance(value, str) and re.match(r"^https?://", value):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            data = tiny_png() if kind == "photo" else b""
            return self.store_upload(kind, data, name)
        else:
            raise bad("wrong file identifier/HTTP URL specified")
        filename, data = upload
        if len(data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo":
            size = image_size(data)
            if size is None:
                raise bad("IMAGE_PROCESS_FAILED")
            if size[0] + size[1] > 10_000:
                raise bad("PHOTO_INVALID_DIMENSIONS")
        return self.store_upload(kind, data, filename or None)

    async def _edit_message_text(self, p: JSON, files: Files) -> JSON:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        msg = self._message(chat, p, "message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        if "text" not in msg.payload:
            raise bad("there is no text in the message to edit")
        text, ents = self._formatted(
            p.get("text"),
            p.get("parse_mode"),
            p.get("entities"),
            empty="message text is empty",
            limit=MAX_TEXT,
            too_long="message is too long",
        )
        markup = self._inline_only(p.get("reply_markup"))
        same = (
            text == msg.payload["text"]
            and ents == msg.payload.get("entities", [])
            and markup == msg.payload.get("reply_markup")
        )
        if same:
            raise bad(NOT_MODIFIED)
        self._guard_outgoing(chat)
        return self._apply_edit(msg, "editMessageText", {"text": text, "entities": ents}, markup)

    async def _edit_message_caption(self, p: JSON, files: Files) -> JSON:
        chat = self._chat(p)
        msg = self._message(chat, p, "message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        if "text" in msg.payload:
            raise bad("there is no caption in the message to edit")
        caption, ents = self._formatted(
            p.get("caption"),
            p.get("parse_mode"),
            p.get("caption_entities"),
            empty="",
            limit=MAX_CAPTION,
            too_long="message caption is too long",
        )
        markup = self._inline_only(p.get("reply_markup"))
        same = (
            caption == msg.payload.get("caption", "")
            and ents == msg.payload.get("caption_entities", [])
            and markup == msg.payload.get("reply_markup")
        )
        if same:
            raise bad(NOT_MODIFIED)
        self._guard_outgoing(chat)
        changes = {"caption": caption, "caption_entities": ents}
        return self._apply_edit(msg, "editMessageCaption", changes, markup)

    async def _edit_message_media(self, p: JSON, files: Files) -> JSON:
        """Swap a media message's file (and caption); a text message has no media to swap."""
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        msg = self._message(chat, p, "message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        old_kind = next(
            (k for k in ("animation", "photo", "video", "document", "audio") if k in msg.payload), None
        )
        if old_kind is None:
            raise bad("there is no media in the message to edit")
        media = p.get("media")
        if not isinstance(media, dict) or media.get("type") not in (
            "animation",
            "photo",
            "video",
            "document",
            "audio",
        ):
            raise bad("can't parse InputMedia: media not found")
        kind = media["type"]
        stored = self._input_file(kind, {kind: media.get("media")}, files)
        caption, ents = self._formatted(
            media.get("caption"),
            media.get("parse_mode"),
            media.get("caption_entities"),
            empty="",
            limit=MAX_CAPTION,
            too_long="message caption is too long",
        )
        markup = self._inline_only(p.get("reply_markup"))
        current = msg.payload.get(old_kind)
        current_id = current[-1]["file_id"] if isinstance(current, list) else (current or {}).get("file_id")
        if (
            kind == old_kind
            and stored.file_id == current_id
            and caption == msg.payload.get("caption", "")
            and markup == msg.payload.get("reply_markup")
        ):
            raise bad(NOT_MODIFIED)
        self._guard_outgoing(chat)
        msg.payload.pop(old_kind, None)
        msg.payload.pop("document", None) if kind != "document" else None
        msg.payload.update(self.file_object(kind, stored, media))
        msg.attachments[:] = [
            Attachment(kind, stored.file_id, stored.data, stored.filename, stored.mime_type)
        ]
        changes = {"caption": caption, "caption_entities": ents}
        return self._apply_edit(msg, "editMessageMedia", changes, markup)

    async def _edit_message_reply_markup(self, p: JSON, files: Files) -> JSON:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        msg = self._message(chat, p, "message to edit not found")
        if not msg.from_bot:
            raise bad("message can't be edited")
        markup = self._inline_only(p.get("reply_markup"))
        if markup == msg.payload.get("reply_markup"):
            raise bad(NOT_MODIFIED)
        self._guard_outgoing(chat)
        return self._apply_edit(msg, "editMessageReplyMarkup", {}, markup)

    async def _delete_message(self, p: JSON, files: Files) -> bool:
        chat = self._chat(p)
        msg = self._message(chat, p, "message to delete not found")
        del chat.messages[msg.message_id]
        self.deleted.append(msg)
        self._notify()
        return True

    async def _answer_callback_query(self, p: JSON, files: Files) -> bool:
        query = self._queries.get(str(p.get("callback_query_id", "")))
        if query is None or query.answered or self.monotonic() - query.created > self.callback_query_ttl:
            raise bad(QUERY_TOO_OLD)
        query.answered = True
        answer: JSON = {k: p[k] for k in ("text", "show_alert", "url", "cache_time") if k in p}
        self.callback_answers.append({"callback_query_id": query.id, "user_id": query.user_id, **answer})
        self._notify()
        return True

    async def _send_chat_action(self, p: JSON, files: Files) -> bool:
        chat = self._chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return True

    @staticmethod
    def _scope_key(p: JSON) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    async def _set_my_commands(self, p: JSON, files: Files) -> bool:
        commands = p.get("commands") or []
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        clean: list[JSON] = []
        for cmd in commands:
            if not isinstance(cmd, dict):
                raise bad("can't parse BotCommand: BotCommand must be an Object")
            for key in ("command", "description"):
                if key not in cmd:
                    raise bad(f"can't parse BotCommand: Can't find field \"{key}\"")
            name, desc = str(cmd["command"]), str(cmd["description"]).strip()
            if not COMMAND_RE.match(name):
                raise bad("BOT_COMMAND_INVALID")
            if not desc:
                raise bad("command description must be non-empty")
            if len(desc) > 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        self.commands[self._scope_key(p)] = clean
        return True

    async def _get_my_commands(self, p: JSON, files: Files) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._scope_key(p), []))

    async def _delete_my_commands(self, p: JSON, files: Files) -> bool:
        self.commands.pop(self._scope_key(p), None)
        return True

    def _text_setter(self, name: str) -> Handler:
        async def setter(p: JSON, files: Files) -> bool:
            self.bot_texts[(name, str(p.get("language_code") or ""))] = str(p.get(name) or "")
            return True

        return setter

    def _text_getter(self, name: str) -> Handler:
        async def getter(p: JSON, files: Files) -> JSON:
            return {name: self.bot_texts.get((name, str(p.get("language_code") or "")), "")}

        return getter

    async def _set_chat_menu_button(self, p: JSON, files: Files) -> bool:
        chat_id = p.get("chat_id")
        if chat_id is not None:
            self._chat(p)
        self.menu_buttons[chat_id] = p.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, p: JSON, files: Files) -> JSON:
        chat_id = p.get("chat_id")
        return self.menu_buttons.get(chat_id, self.menu_buttons.get(None, {"type": "commands"}))

    async def _get_chat(self, p: JSON, files: Files) -> JSON:
        chat = self._chat(p)
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_file(self, p: JSON, files: Files) -> JSON:
        stored = self.files.get(str(p.get("file_id", "")))
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def download(self, token: str, file_path: str) -> bytes | None:
        """Bytes behind ``/file/bot<token>/<file_path>``; ``None`` means 404."""
        if not TOKEN_RE.match(token) or token in self._revoked:
            return None
        for stored in self.files.values():
            if stored.file_path == file_path:
                return stored.data
        return None


# --------------------------------------------------------------------------- module helpers


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"wrong parameter {name} specified") from None


def _as_float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad(f"wrong parameter {name} specified") from None


def _normalize(params: dict[str, Any]) -> JSON:
    """Type form/query strings the way the Bot API does (JSON fields parsed, ints, bools)."""
    out: JSON = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    if key == "reply_markup":
                        raise bad("can't parse reply keyboard markup JSON object") from None
                    raise bad(f"can't parse {key} JSON object") from None
            elif key in _INT_PARAMS and re.fullmatch(r"-?\d+", value.strip()):
                value = int(value)
            elif key in _BOOL_PARAMS:
                value = value.strip().lower() in ("true", "1")
        elif isinstance(value, int | float) and key in ("text", "caption") and not isinstance(value, bool):
            value = str(value)
        out[key] = value
    return out


def _command_entity(text: str) -> JSON:
    command = text.split(maxsplit=1)[0] if text.strip() else text
    return {"type": "bot_command", "offset": 0, "length": utf16_len(command)}


def _validate_inline(rows: Any) -> JSON | None:
    """Check an inline keyboard the way the Bot API does; ``None`` for an empty keyboard."""
    if not isinstance(rows, list):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    clean: list[list[JSON]] = []
    count = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        out_row: list[JSON] = []
        for button in row:
            prefix = "can't parse inline keyboard button: "
            if not isinstance(button, dict):
                raise bad(prefix + "InlineKeyboardButton must be an Object")
            if "text" not in button:
                raise bad(prefix + 'Can\'t find field "text"')
            if not isinstance(button["text"], str) or not button["text"].strip():
                raise bad(prefix + "Text must be non-empty")
            actions = [a for a in BUTTON_ACTIONS if a in button]
            if not actions:
                raise bad(prefix + "Text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad(prefix + "exactly one of the optional fields must be used")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                raise bad("BUTTON_URL_INVALID")
            out_row.append(dict(button))
            count += 1
        if out_row:
            clean.append(out_row)
    if count > MAX_BUTTONS:
        raise bad("REPLY_MARKUP_TOO_LONG")
    return {"inline_keyboard": clean} if clean else None


def _update_chat_key(update: JSON) -> Any:
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict):
            return chat.get("id")
        sender = value.get("from")
        if isinstance(sender, dict):
            return sender.get("id")
    return None


__all__ = [
    "ApiError",
    "Attachment",
    "CallRecord",
    "ChatState",
    "EntityParseError",
    "FakeTelegram",
    "SendRecord",
    "StoredFile",
    "StoredMessage",
    "WebhookDelivery",
    "image_size",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "tiny_png",
    "utf16_len",
]
