"""The Bot API emulator must behave like Telegram, or every test built on it lies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tgemu import EmulatorRequest, FakeTelegram, file_url, start_server, tiny_png
from tgemu.core import NOT_MODIFIED, QUERY_TOO_OLD, parse_html, parse_markdown_v2

# PTB 22 itself warns when it builds RetryAfter from the int the Bot API sends.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456789:" + "A" * 35
USER_ID = 1001


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake)) as b:
        yield b


@pytest.fixture
async def base_url(fake: FakeTelegram) -> AsyncIterator[str]:
    runner, url = await start_server(fake)
    yield url
    await runner.cleanup()


@pytest.fixture
async def http_bot(base_url: str) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=base_url, base_file_url=file_url(base_url)) as b:
        yield b


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


# --------------------------------------------------------------------------- happy paths


async def test_ptb_bot_in_process_full_flow(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456789, "stretch_coach_test_bot", True)

    user = fake.user(USER_ID, "Ann")
    sent = await bot.send_message(USER_ID, "Ready?", reply_markup=keyboard(("Go", "go:1")))
    assert sent.text == "Ready?" and sent.chat.id == USER_ID and isinstance(sent.message_id, int)
    assert user.last_bot_message().keyboard == [[("Go", "go:1")]]

    query_id = user.press("Go")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "go:1"
    assert updates[-1].callback_query.chat_instance
    assert await bot.answer_callback_query(query_id, text="Started")
    assert user.callback_answers()[-1]["text"] == "Started"

    edited = await bot.edit_message_text("Going!", USER_ID, sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "Going!"
    view = user.last_bot_message()
    assert (view.text, view.keyboard, view.edit_count) == ("Going!", [], 1)

    png = tiny_png(3, 2)
    photo = await bot.send_photo(USER_ID, png, caption="progress")
    assert photo.photo[-1].width == 3 and photo.photo[-1].height == 2
    assert user.last_bot_message().attachment.data == png  # type: ignore[union-attr]

    doc = await bot.send_document(USER_ID, b"a,b\n1,2\n", filename="export.csv")
    assert doc.document is not None and doc.document.file_name == "export.csv"
    assert user.last_bot_message().attachment.filename == "export.csv"  # type: ignore[union-attr]
    tg_file = await bot.get_file(doc.document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"a,b\n1,2\n"

    assert await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]

    assert await bot.delete_message(USER_ID, photo.message_id)
    assert [m.message_id for m in user.bot_messages()] == [sent.message_id, doc.message_id]
    assert await bot.send_chat_action(USER_ID, "typing")
    assert (await bot.get_chat(USER_ID)).first_name == "Ann"  # ChatFullInfo required fields


async def test_http_server_with_default_httpx_request(fake: FakeTelegram, http_bot: Bot) -> None:
    user = fake.user(USER_ID, "Ann")
    assert (await http_bot.get_me()).username == "stretch_coach_test_bot"
    msg = await http_bot.send_message(
        USER_ID, "<b>Hi</b> there", parse_mode="HTML", reply_markup=keyboard(("A", "a"))
    )
    assert msg.text == "Hi there" and msg.entities[0].type == "bold"
    assert user.last_bot_message().keyboard == [[("A", "a")]]

    png = tiny_png(5, 5)
    photo = await http_bot.send_photo(USER_ID, png)  # multipart/form-data upload
    assert user.last_bot_message().attachment.data == png  # type: ignore[union-attr]
    downloaded = await (await http_bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == png

    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await http_bot.send_message(USER_ID, " ")


async def test_http_accepts_json_body_and_query_string(fake: FakeTelegram, base_url: str) -> None:
    fake.user(USER_ID)
    async with ClientSession() as http:
        payload = {"chat_id": USER_ID, "text": "json", "reply_markup": {"inline_keyboard": []}}
        async with http.post(f"{base_url}{TOKEN}/sendMessage", json=payload) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["result"]["text"] == "json"
            assert isinstance(body["result"]["date"], int)
        async with http.get(f"{base_url}{TOKEN}/sendMessage?chat_id={USER_ID}&text=") as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == "Bad Request: message text is empty"
        async with http.get(f"{base_url}bad/getMe") as resp:
            assert resp.status == 401


async def test_long_poll_over_http_waits_and_honours_offset(fake: FakeTelegram, http_bot: Bot) -> None:
    user = fake.user(USER_ID, "Ann")
    poll = asyncio.create_task(http_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # really waiting
    started = time.monotonic()
    user.send_text("hello")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates if u.message] == ["hello"]

    again = await http_bot.get_updates(timeout=0)  # not confirmed yet -> redelivered
    assert [u.update_id for u in again] == [updates[0].update_id]

    started = time.monotonic()
    empty = await http_bot.get_updates(offset=updates[0].update_id + 1, timeout=1)
    assert empty == ()
    assert 0.9 <= time.monotonic() - started < 3
    assert fake.pending_updates == []


async def test_acknowledged_means_a_later_offset_passed_the_update(fake: FakeTelegram, bot: Bot) -> None:
    """Handing an update out is not acknowledging it: only the next offset is."""
    seen: list[list[int]] = []
    fake.on_acknowledged(seen.append)
    user = fake.user(USER_ID)
    user.send_text("1")
    user.send_text("2")
    first = await bot.get_updates(timeout=0, limit=1)
    again = await bot.get_updates(timeout=0)
    assert again[0].update_id == first[0].update_id
    assert fake.acknowledged == set() and fake.highest_acknowledged == 0
    ids = [u.update_id for u in again]
    await bot.get_updates(offset=ids[0] + 1, timeout=0)
    assert fake.acknowledged == {ids[0]} and seen == [[ids[0]]]
    await bot.get_updates(offset=ids[1] + 1, timeout=0)
    assert fake.highest_acknowledged == ids[1] and seen == [[ids[0]], [ids[1]]]


async def test_held_calls_wait_unperformed_until_released(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    fake.hold_calls("sendMessage")
    sending = asyncio.create_task(bot.send_message(USER_ID, "later"))
    await fake.wait_for(lambda: fake.held_calls == 1, 5, "the held call")
    assert user.bot_messages() == [] and not sending.done()
    await bot.send_chat_action(USER_ID, "typing")  # other methods are not held
    fake.release_calls()
    message = await asyncio.wait_for(sending, 5)
    assert [m.text for m in user.bot_messages()] == ["later"] == [message.text]
    assert fake.held_calls == 0


async def test_second_poller_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first
    assert await second == ()


async def test_negative_offset_keeps_only_last_updates(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    for text in ("1", "2", "3"):
        user.send_text(text)
    updates = await bot.get_updates(offset=-1, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["3"]


async def test_user_side_updates_parse_in_ptb(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID, "Ann", language_code="de")
    user.send_command("/start", args="ref42")
    user.send_location(52.5, 13.4)
    user.send_sticker()
    user.send_photo(caption="me")
    user.send_voice()
    mid = user.send_text("typo")
    user.edit_message(mid, "fixed")
    fake.group_message(-100777, user, "/start@stretch_coach_test_bot")
    fake.channel_post(-100888, "news")
    updates = await bot.get_updates(timeout=0)
    msgs = [u.message for u in updates[:6]]
    assert msgs[0] is not None and msgs[0].text == "/start ref42"
    assert msgs[0].entities[0].type == "bot_command" and msgs[0].entities[0].length == 6
    assert msgs[0].from_user is not None and msgs[0].from_user.language_code == "de"
    assert msgs[1] is not None and msgs[1].location is not None
    assert msgs[2] is not None and msgs[2].sticker is not None
    assert msgs[3] is not None and msgs[3].photo and msgs[3].caption == "me"
    assert msgs[4] is not None and msgs[4].voice is not None
    assert updates[6].edited_message is not None and updates[6].edited_message.text == "fixed"
    group = updates[7].message
    assert group is not None and group.chat.type == "supergroup"
    assert updates[8].channel_post is not None and updates[8].channel_post.sender_chat


# --------------------------------------------------------------------------- rules

LONG = "x" * 4097


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"text": ""}, "Bad Request: message text is empty"),
        ("sendMessage", {"text": LONG}, "Bad Request: message is too long"),
        ("sendMessage", {"text": "hi", "chat_id": 42}, "Bad Request: chat not found"),
        (
            "sendMessage",
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 65}]]}},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]}},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            "sendMessage",
            {
                "text": "hi",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "a", "callback_data": "x", "url": "https://a.b"}]]
                },
            },
            "Bad Request: can't parse inline keyboard button: "
            "exactly one of the optional fields must be used",
        ),
        (
            "sendMessage",
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"callback_data": "x"}]]}},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
        (
            "sendMessage",
            {"text": "<b>bold", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        (
            "sendMessage",
            {"text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        ),
        (
            "sendMessage",
            {"text": "line<br>next", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 4',
        ),
        (
            "sendMessage",
            {"text": "Done. Next!", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: "
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        (
            "sendMessage",
            {"text": "*bold", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0",
        ),
        ("deleteMessage", {"message_id": 999}, "Bad Request: message to delete not found"),
        (
            "editMessageText",
            {"message_id": 999, "text": "x"},
            "Bad Request: message to edit not found",
        ),
        (
            "answerCallbackQuery",
            {"callback_query_id": "12345"},
            f"Bad Request: {QUERY_TOO_OLD}",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "Start", "description": "x"}]},
            "Bad Request: BOT_COMMAND_INVALID",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": "start", "description": "x" * 257}]},
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
        ),
        (
            "setMyCommands",
            {"commands": [{"command": f"c{i}", "description": "x"} for i in range(101)]},
            "Bad Request: BOT_COMMANDS_TOO_MUCH",
        ),
        ("sendChatAction", {"action": "dancing"}, "Bad Request: wrong parameter action in request"),
    ],
)
async def test_rule_violations(
    fake: FakeTelegram, method: str, params: dict[str, Any], description: str
) -> None:
    fake.user(USER_ID)
    status, body = await fake.call(TOKEN, method, {"chat_id": USER_ID, **params})
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert fake.sends() == []


async def test_caption_too_long(fake: FakeTelegram) -> None:
    fake.user(USER_ID)
    files = {"photo": ("p.png", tiny_png())}
    status, body = await fake.call(TOKEN, "sendPhoto", {"chat_id": USER_ID, "caption": "c" * 1025}, files)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")
    status, _ = await fake.call(TOKEN, "sendPhoto", {"chat_id": USER_ID, "caption": "c" * 1024}, files)
    assert status == 200


async def test_length_counts_code_points_after_entity_parsing(fake: FakeTelegram) -> None:
    fake.user(USER_ID)
    ok = await fake.call(
        TOKEN, "sendMessage", {"chat_id": USER_ID, "text": "<b>" + "é" * 4096 + "</b>", "parse_mode": "HTML"}
    )
    assert ok[0] == 200


async def test_identical_edit_is_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(USER_ID)
    markup = keyboard(("A", "a"))
    msg = await bot.send_message(USER_ID, "same", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("same", USER_ID, msg.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER_ID, msg.message_id, reply_markup=markup)
    # dropping the keyboard is a change (Telegram removes it when reply_markup is omitted)
    await bot.edit_message_text("same", USER_ID, msg.message_id)
    status, body = await fake.call(
        TOKEN, "editMessageText", {"chat_id": USER_ID, "message_id": msg.message_id, "text": "same"}
    )
    assert (status, body["description"]) == (400, f"Bad Request: {NOT_MODIFIED}")


async def test_user_message_cannot_be_edited_by_bot(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    mid = user.send_text("mine")
    with pytest.raises(BadRequest, match=r"(?i)message can.t be edited"):
        await bot.edit_message_text("theirs", USER_ID, mid)


async def test_callback_query_answered_twice_or_expired(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    await bot.send_message(USER_ID, "pick", reply_markup=keyboard(("A", "a"), ("B", "b")))
    first = user.press("a")  # by callback_data
    assert await bot.answer_callback_query(first)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(first)
    second = user.press("B")
    fake.advance(901)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(second)
    with pytest.raises(LookupError, match="no inline button 'C'"):
        user.press("C")
    forged = user.press_raw("admin:drop_all", user.last_bot_message().message_id)
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].callback_query is not None
    assert (updates[-1].callback_query.id, updates[-1].callback_query.data) == (
        forged,
        "admin:drop_all",
    )


async def test_auth_and_unknown_method(fake: FakeTelegram, bot: Bot) -> None:
    assert await fake.call("nonsense", "getMe", {}) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await fake.call(TOKEN, "getMeNow", {}))[0] == 404
    assert (await fake.call(TOKEN, "GETME", {}))[0] == 200  # method names are case-insensitive


async def test_webhook_blocks_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cr3t")
    with pytest.raises(Conflict, match=r"(?i)can.t use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


# --------------------------------------------------------------------------- faults & rates


async def test_fault_injection_maps_to_ptb_errors(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    fake.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(USER_ID, "hi")
    assert "Retry in 7 seconds" in str(excinfo.value)
    fake.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "hi")
    fake.fail_next("sendmessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER_ID, "hi")
    assert user.bot_messages() == []
    fake.fail_next("sendMessage", status=502, executed=True)  # Telegram acted, answer lost
    with pytest.raises(NetworkError):
        await bot.send_message(USER_ID, "hi")
    assert [m.text for m in user.bot_messages()] == ["hi"]
    assert (fake.count_429, fake.count_403, fake.status_counts[502]) == (1, 1, 2)


async def test_fault_scoped_to_chat(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(1)
    fake.user(2)
    fake.fail_next("sendMessage", status=500, chat_id=2, times=2)
    await bot.send_message(1, "ok")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(2, "no")
    await bot.send_message(2, "now ok")


async def test_blocked_user(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(USER_ID)
    msg = await bot.send_message(USER_ID, "hi")
    user.block_bot()
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(USER_ID, "still there?")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("edit", USER_ID, msg.message_id)
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    fake.unblock(USER_ID)
    await bot.send_message(USER_ID, "welcome back")


async def test_global_rate_limit_and_counters(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(1)
    fake.user(2)
    fake.enforce_global_rate(per_second=3)
    for chat in (1, 2, 1):
        await bot.send_message(chat, "x")
    with pytest.raises(RetryAfter):
        await bot.send_message(2, "too fast")
    assert fake.count_429 == 1
    fake.advance(1.0)
    await bot.send_message(2, "fine again")
    assert len(fake.sends()) == 4 and len(fake.sends(chat_id=1)) == 2
    assert fake.max_rate(window=1.0) == 3
    assert fake.max_rate(window=1.0, chat_id=1) == 2


async def test_chat_rate_limit(fake: FakeTelegram, bot: Bot) -> None:
    fake.user(1)
    fake.enforce_chat_rate(max_per_window=2, window=1.0)
    await bot.send_message(1, "a")
    await bot.send_message(1, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(1, "c")


# --------------------------------------------------------------------------- webhooks


class Receiver:
    """A tiny webhook endpoint that records what Telegram POSTs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.got: list[tuple[str | None, dict[str, Any]]] = []
        self.fail_first = fail_first
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=500)
        self.got.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/hook"
        return self.url

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(fake: FakeTelegram, bot: Bot) -> None:
    receiver = Receiver(fail_first=1)
    url = await receiver.start()
    try:
        user = fake.user(USER_ID)
        user.send_text("queued before webhook")
        assert await bot.set_webhook(url, secret_token="top-secret_1")
        user.send_text("after")
        await fake.wait_for(lambda: len(receiver.got) == 2, 5, "webhook deliveries")
        assert [secret for secret, _ in receiver.got] == ["top-secret_1"] * 2
        assert [body["message"]["text"] for _, body in receiver.got] == [
            "queued before webhook",
            "after",
        ]
        Update.de_json(receiver.got[0][1], bot)  # PTB can parse what was delivered
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert any(d.status == 500 for d in fake.webhook_deliveries)
        # Only the 2xx acknowledged the update the receiver refused at first.
        assert fake.acknowledged == {d.update_id for d in fake.webhook_deliveries}
        assert len(fake.acknowledged) == 2
    finally:
        await receiver.stop()


async def test_round_robin_delivery_targets(fake: FakeTelegram) -> None:
    first, second = Receiver(), Receiver()
    urls = [await first.start(), await second.start()]
    try:
        fake.set_delivery_targets(urls, secret="s")
        for uid in range(1, 5):
            fake.user(uid).send_text(f"m{uid}")
        await fake.wait_for(lambda: len(first.got) + len(second.got) == 4, 5, "deliveries")
        assert len(first.got) == 2 and len(second.got) == 2
        assert {s for s, _ in first.got + second.got} == {"s"}
        status, body = await fake.call(TOKEN, "getUpdates", {})
        assert status == 409 and "webhook is active" in body["description"]
    finally:
        await first.stop()
        await second.stop()


# --------------------------------------------------------------------------- parsers


def test_parsers_produce_utf16_entities() -> None:
    text, ents = parse_html("👍 <b>hi</b> &lt;3 <a href='https://x.y'>l</a>")
    assert text == "👍 hi <3 l"
    assert ents == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 9, "length": 1, "url": "https://x.y"},
    ]
    text, ents = parse_markdown_v2(r"*Day 1* of 7\. [go](https://x.y/a\)b) `a.b`")
    assert text == "Day 1 of 7. go a.b"
    assert [e["type"] for e in ents] == ["bold", "text_link", "code"]
    assert ents[1]["url"] == "https://x.y/a)b"


# --------------------------------------------------------------------------- PTB Application


async def test_application_polling_over_http(fake: FakeTelegram, base_url: str) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Welcome, {update.effective_user.first_name}!")  # type: ignore[union-attr]

    app = Application.builder().token(TOKEN).base_url(base_url).build()
    app.add_handler(CommandHandler("start", start))
    user = fake.user(USER_ID, "Ann")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=2, drop_pending_updates=True)
        user.send_command("/start")
        reply = await user.wait_reply(timeout=5)
        assert reply.text == "Welcome, Ann!"
        await app.updater.stop()
        await app.stop()
    assert fake.pending_updates == []  # the final getUpdates confirmed the offset


async def test_application_with_in_process_request(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("hi")  # type: ignore[union-attr]

    app = (
        Application.builder()
        .token(TOKEN)
        .request(EmulatorRequest(fake))
        .get_updates_request(EmulatorRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    user = fake.user(USER_ID)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        user.send_command("start")
        assert (await user.wait_reply()).text == "hi"
        await app.updater.stop()
        await app.stop()


async def test_application_callback_flow_and_user_waits(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(  # type: ignore[union-attr]
            "Ready?", reply_markup=keyboard(("Yes", "yes"), ("No", "no"))
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You said {query.data}")

    app = (
        Application.builder()
        .token(TOKEN)
        .request(EmulatorRequest(fake))
        .get_updates_request(EmulatorRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    user = fake.user(USER_ID)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        user.send_command("start")
        prompt = await user.wait_reply()
        assert prompt.buttons == ["Yes", "No"]
        user.press("Yes")
        assert (await user.wait_callback_answer())["text"] == "Noted"
        [edited] = await user.wait_activity()
        assert (edited.message_id, edited.text, edited.keyboard) == (prompt.message_id, "You said yes", [])
        await fake.settle(quiet=0.05)
        assert len(user.bot_messages()) == 1
        await app.updater.stop()
        await app.stop()
