"""Hostile-input corpus: odd, forged and out-of-place updates through the real pipeline
(getUpdates -> inbox -> worker -> flows -> outbox -> sender -> the emulator).

Every case states what the bot must do (a reply, a button toast, a change of the live card,
or a deliberate silence), and after every case: no update failed and no effect was refused,
the database invariants hold (tests/invariants.py), every stored update is handled and
every decided effect delivered, and a refused update changed no state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import buttons as b
from bot.domain.routine import STEPS
from bot.domain.symptoms import FollowUp, HurtChoice
from bot.i18n import translator
from bot.views import data as data_view
from bot.views import general as general_view
from bot.views import session as session_view
from db.engine import Database
from db.models import InboxUpdate, PhaseChange, ScreeningAnswer, User
from db.states import Phase
from tests.harness import Harness, running_bot
from tests.invariants import assert_chat_matches, assert_invariants, live_card, open_session, snapshot
from tgemu import TelegramUser

BOT_USERNAME = "stretch_coach_test_bot"
GROUP_ID = -1001234567890
CHANNEL_ID = -1009876543210

EN = translator("en")
EXPIRED = general_view.expired(EN)
NOT_STARTED = general_view.not_started(EN)
ALREADY = general_view.already_done(EN)
ENDED = session_view.session_ended(EN)
UNKNOWN_COMMAND = general_view.unknown_command(EN)
IDLE_HINT = general_view.idle_hint(EN)
SESSION_HINT = session_view.mid_session_hint(EN)
CANT_READ = general_view.cannot_read(EN)
PRIVATE_ONLY = general_view.private_only(EN)
NO_DATA = data_view.no_data(EN)
APOLOGY = "Sorry, something went wrong on my side"


# --------------------------------------------------------------------------- states


@dataclass
class Ctx:
    h: Harness
    alex: TelegramUser
    bob: TelegramUser
    session_id: int = 0
    live_id: int = 0  # alex's message carrying the live session buttons
    live_data: list[str] = field(default_factory=list)
    alex_db_id: int = 0

    def data(self, action: b.StepAction) -> str:
        """The live card's own button for `action` (a real payload, maybe stale by now)."""
        return next(
            d for d in self.live_data if isinstance(p := b.parse(d), b.StepButton) and p.action is action
        )


Setup = Callable[[Ctx], Awaitable[None]]
Act = Callable[[Ctx], Awaitable[None] | None]


async def _remember_live(c: Ctx) -> None:
    user = await c.h.db_user(c.alex.user_id)
    assert user is not None
    c.alex_db_id = user.id
    practice = await open_session(c.h.db, c.alex.user_id)
    if practice is not None:
        c.session_id = practice.id
        card = live_card(c.alex, practice.id)
        assert card is not None
        c.live_id = card.message_id
        c.live_data = next(m for m in c.alex.bot_messages() if m.message_id == card.message_id).callback_data


async def new_user(c: Ctx) -> None:
    """Alex never sent /start (he has only said hello)."""
    await c.h.say(c.alex, "hi")


async def at_timezone(c: Ctx) -> None:
    from bot.domain.screening import QUESTIONS

    await c.h.say(c.alex, "/start")
    await c.h.press(c.alex, "Let's go")
    await c.h.press(c.alex, "I have seen or will see a clinician")
    for _ in QUESTIONS:
        await c.h.press(c.alex, "No")
    await _remember_live(c)


async def at_time(c: Ctx) -> None:
    await at_timezone(c)
    await c.h.say(c.alex, "Europe/Berlin")


async def idle(c: Ctx) -> None:
    """Onboarded, no session open."""
    await c.h.onboard(c.alex)
    await c.h.press(c.alex, "Wait for my reminder")
    await _remember_live(c)


async def awaiting_time(c: Ctx) -> None:
    """Onboarded and /settings asked for a new reminder time."""
    await idle(c)
    await c.h.say(c.alex, "/settings")
    await c.h.press(c.alex, b.SettingsButton(b.SettingsChoice.TIME).pack())


async def pain_before(c: Ctx) -> None:
    """A session open at its first question (pain before)."""
    await c.h.onboard(c.alex)
    await c.h.press(c.alex, "▶️ Start now")
    await _remember_live(c)


async def in_session(c: Ctx) -> None:
    """A session open at exercise 1, left leg."""
    await pain_before(c)
    await c.h.press(c.alex, "3")
    await _remember_live(c)


async def at_pain_after(c: Ctx) -> None:
    await in_session(c)
    for _ in STEPS:
        await c.h.press(c.alex, "Skip")
    await _remember_live(c)


async def session_cancelled(c: Ctx) -> None:
    await in_session(c)
    await c.h.say(c.alex, "/cancel")


async def deleted(c: Ctx) -> None:
    """Alex was mid-session, then ran /delete and confirmed."""
    await in_session(c)
    await c.h.say(c.alex, "/delete")
    await c.h.press(c.alex, "Yes, erase everything")
    assert await c.h.db_user(c.alex.user_id) is None


async def deleted_mid_hold(c: Ctx) -> None:
    """Alex started a hold timer, then erased everything before it ended."""
    await in_session(c)
    await c.h.press(c.alex, "⏱ Start 20 s timer")
    await c.h.say(c.alex, "/delete")
    await c.h.press(c.alex, "Yes, erase everything")
    assert await c.h.db_user(c.alex.user_id) is None


async def bob_in_session(c: Ctx) -> None:
    """Alex and Bob both mid-session; Bob will forge Alex's buttons."""
    await in_session(c)
    await c.h.onboard(c.bob)
    await c.h.press(c.bob, "▶️ Start now")
    await c.h.press(c.bob, "5")


async def blocked(c: Ctx) -> None:
    """Alex blocked the bot (Telegram told the bot with a my_chat_member update)."""
    await idle(c)
    c.alex.block_bot()
    await c.h.pump()
    user = await c.h.db_user(c.alex.user_id)
    assert user is not None and user.blocked and user.next_reminder_at is None


# --------------------------------------------------------------------------- acts


def say(text_: str, who: str = "alex") -> Act:
    def act(c: Ctx) -> None:
        user = getattr(c, who)
        if text_.startswith("/"):
            command, _, args = text_.partition(" ")
            user.send_command(command, args)
        else:
            user.send_text(text_)

    return act


def press(data: str | Callable[[Ctx], str], who: str = "alex") -> Act:
    """Tap a button with this (possibly forged) callback data on the user's newest bot message."""

    def act(c: Ctx) -> None:
        user = getattr(c, who)
        value = data(c) if callable(data) else data
        user.press_raw(value, user.last_bot_message().message_id)

    return act


def raw_message(content: dict[str, Any]) -> Act:
    def act(c: Ctx) -> None:
        chat = c.h.fake.chats[c.alex.chat_id]
        c.h.fake.add_user_message(chat, c.alex.as_json(), content)

    return act


def raw_callback(
    data: str | Callable[[Ctx], str] | None, change: Callable[[dict[str, Any], Ctx], None]
) -> Act:
    """A callback query the emulator would never produce (no message, no data...)."""

    def act(c: Ctx) -> None:
        value = (data(c) if callable(data) else data) or ""
        c.alex.press_raw(value, c.alex.last_bot_message().message_id)
        query = c.h.fake.pending_updates[-1]["callback_query"]
        change(query, c)

    return act


def _inline(query: dict[str, Any], c: Ctx) -> None:
    query.pop("message")
    query["inline_message_id"] = "AgAAAHiddenInline"


def _no_data(query: dict[str, Any], c: Ctx) -> None:
    query.pop("data")
    query["game_short_name"] = "stretch"


def _inaccessible(query: dict[str, Any], c: Ctx) -> None:
    message = query["message"]
    query["message"] = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}


def raw_update(payload: Callable[[Ctx], dict[str, Any]]) -> Act:
    """Any update Telegram may send, straight into the inbox (opt-in kinds included)."""

    async def act(c: Ctx) -> None:
        update_id = c.h.fake.push_update(payload(c))
        update = c.h.fake.pending_updates[-1]
        assert update["update_id"] == update_id
        await c.h.process_raw(update)

    return act


def bob_presses_alex_message(c: Ctx) -> None:
    """Bob's client sends a query for Alex's message (only a forged client could)."""
    c.h.fake.emit_callback_query(c.bob.user_id, c.alex.chat_id, c.live_id, c.data(b.StepAction.DONE))


def alex_presses_in_group(c: Ctx) -> None:
    """A query naming Alex's session, but on a group's message: answering would write there."""
    message_id = c.h.fake.group_message(GROUP_ID, c.alex, "hello all")
    c.h.fake.emit_callback_query(c.alex.user_id, GROUP_ID, message_id, c.data(b.StepAction.DONE))


def edit_last_own(new_text: str) -> Act:
    def act(c: Ctx) -> None:
        own = [m for m in c.alex.chat() if not m.from_bot]
        c.alex.edit_message(own[-1].message_id, new_text)

    return act


def media(kind: str, **kwargs: Any) -> Act:
    def act(c: Ctx) -> None:
        getattr(c.alex, f"send_{kind}")(**kwargs)

    return act


async def hold_ends(c: Ctx) -> None:
    """The hold's timer fires (as the JobQueue or the sweep would) after the user is gone."""
    await c.h.runtime.timers.end(c.alex.chat_id, c.session_id, 0)


async def reminder_due(c: Ctx) -> None:
    """The reminder run at Alex's reminder time."""
    async with c.h.db.session() as s:
        due = await s.scalar(select(User.next_reminder_at).where(User.telegram_id == c.alex.user_id))
    c.h.now = (due or c.h.now + timedelta(days=1)) + timedelta(seconds=5)
    await c.h.dispatch()


def step(action: b.StepAction, index: int = 0) -> Callable[[Ctx], str]:
    return lambda c: b.StepButton(c.session_id, index, action).pack()


def pain(when: str, rating: str) -> Callable[[Ctx], str]:
    return lambda c: f"pn:{c.session_id}:{when}:{rating}"


# --------------------------------------------------------------------------- expectations


async def alex_unchanged(c: Ctx) -> None:
    assert await c.h.db_user(c.alex.user_id) is not None


async def alex_gone(c: Ctx) -> None:
    assert await c.h.db_user(c.alex.user_id) is None


async def session_untouched(c: Ctx) -> None:
    practice = await open_session(c.h.db, c.alex.user_id)
    assert practice is not None and practice.id == c.session_id
    assert (practice.stage, practice.step) == ("exercise", 0)
    await assert_chat_matches(c.h.db, c.alex)


async def session_moved_on(c: Ctx) -> None:
    practice = await open_session(c.h.db, c.alex.user_id)
    assert practice is not None and (practice.stage, practice.step) == ("exercise", 1)
    await assert_chat_matches(c.h.db, c.alex)


async def followup_logged(c: Ctx) -> None:
    async with c.h.db.session() as s:
        keys = (await s.execute(select(ScreeningAnswer.question_key))).scalars().all()
    assert f"followup:{FollowUp.WORSE.value}" in keys


async def still_in_habit(c: Ctx) -> None:
    user = await c.h.db_user(c.alex.user_id)
    assert user is not None and user.phase is Phase.HABIT
    async with c.h.db.session() as s:
        assert (await s.execute(select(PhaseChange.id))).all() == []


async def alex_blocked_no_reminders(c: Ctx) -> None:
    user = await c.h.db_user(c.alex.user_id)
    assert user is not None and user.blocked and user.next_reminder_at is None


async def alex_back(c: Ctx) -> None:
    user = await c.h.db_user(c.alex.user_id)
    assert user is not None and not user.blocked and user.next_reminder_at is not None


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup
    act: Act
    # "reply": a new bot message; "card": a bot message was sent or changed; "toast": only a
    # button answer; "silence": nothing at all in any chat.
    expect: str
    says: str = ""  # text the reply/card/toast must contain
    check: Callable[[Ctx], Awaitable[None]] | None = None
    changes: bool = False  # a silence or a toast that is allowed to change stored state
    xfail: str = ""  # a known gap, kept visible (strict: it fails loudly once fixed)


CASES = [
    # ----- text: empty, huge, emoji, right-to-left, control characters, markup
    Case(
        "empty-text-in-session",
        in_session,
        raw_message({"text": ""}),
        "reply",
        SESSION_HINT,
        session_untouched,
    ),
    Case("whitespace-text-in-session", in_session, say(" \n\t "), "reply", SESSION_HINT, session_untouched),
    Case("4096-chars-in-session", in_session, say("a" * 4096), "reply", SESSION_HINT, session_untouched),
    Case("4096-emoji-at-timezone", at_timezone, say("🧘" * 4096), "reply", "couldn't find a time zone"),
    Case("4096-chars-at-time", at_time, say("7" * 4096), "reply", "couldn't read"),
    Case("rtl-text-in-session", in_session, say("مرحبا بالعالم \u202eevil\u202c"), "reply", SESSION_HINT),
    Case("rtl-city-at-timezone", at_timezone, say("القاهرة"), "reply", "Time zone set: Africa/Cairo"),
    Case(
        "rtl-city-with-direction-mark-at-timezone",
        at_timezone,
        say("القاهرة \u200f"),
        "reply",
        "Time zone set: Africa/Cairo",
    ),
    Case(
        "rtl-override-at-timezone",
        at_timezone,
        say("\u202eevil\u202c \u200f"),
        "reply",
        "couldn't find a time zone",
    ),
    Case("emoji-only-idle", idle, say("🧘‍♀️🔥💥🫠"), "reply", IDLE_HINT),
    Case("zero-width-idle", idle, say("\u200b\u200d\ufeff"), "reply", IDLE_HINT),
    Case("control-chars-at-timezone", at_timezone, say("\x00\x01\x7f"), "reply", "time zone"),
    Case(
        "html-at-timezone",
        at_timezone,
        say("<b>x</b><script>alert(1)</script>"),
        "reply",
        "<script>alert(1)</script>",  # shown as typed: no parse mode, nothing interpreted
    ),
    Case("markdown-at-time", at_time, say("*_[`]("), "reply", "couldn't read"),
    Case("sql-text-idle", idle, say("'; DROP TABLE users; --"), "reply", IDLE_HINT, alex_unchanged),
    # ----- times and zones that do not exist
    Case("time-25:61", at_time, say("25:61"), "reply", "couldn't read “25:61”"),
    Case("time-24:00", at_time, say("24:00"), "reply", "couldn't read"),
    Case("time-13pm", at_time, say("13pm"), "reply", "couldn't read"),
    Case("time-huge-number", at_time, say("99999999999999999999:99"), "reply", "couldn't read"),
    Case("time-negative", at_time, say("-1:30"), "reply", "couldn't read"),
    Case("time-25:61-in-settings", awaiting_time, say("25:61"), "reply", "couldn't read “25:61”"),
    Case("time-button-past-midnight", at_time, press("tm:1440"), "toast", EXPIRED),
    Case("time-button-2561", at_time, press("tm:2561"), "toast", EXPIRED),
    Case("time-button-leading-zero", at_time, press("tm:07"), "toast", EXPIRED),
    Case("time-button-negative", at_time, press("tm:-60"), "toast", EXPIRED),
    Case("time-button-old-format", at_time, press("tm:0800"), "toast", EXPIRED),
    Case("time-button-when-not-asked", idle, press("tm:480"), "toast", EXPIRED),
    Case("zone-typed-nonsense", at_timezone, say("Mars/Olympus_Mons"), "reply", "couldn't find a time zone"),
    Case("zone-typed-path", at_timezone, say("../../../../etc/passwd"), "reply", "couldn't find"),
    Case("zone-button-path", at_timezone, press("tz:../../etc/passwd"), "toast", EXPIRED),
    Case("zone-button-offset-out-of-range", at_timezone, press("tz:+9999"), "toast", EXPIRED),
    Case("zone-button-offset-too-long", at_timezone, press("tz:+99999"), "toast", EXPIRED),
    Case("zone-button-space", at_timezone, press("tz:Europe/Berlin "), "toast", EXPIRED),
    Case("zone-button-when-not-asked", in_session, press("tz:Europe/Berlin"), "toast", EXPIRED),
    # ----- commands
    Case("unknown-command", idle, say("/foobar"), "reply", UNKNOWN_COMMAND),
    Case("bare-slash", idle, say("/"), "reply", UNKNOWN_COMMAND),
    Case(
        "stretch-with-sql-args",
        in_session,
        say("/stretch ' OR 1=1; DROP TABLE users; --"),
        "reply",
        "session in progress",
        session_untouched,
    ),
    Case("start-with-4000-junk-args", idle, say("/start " + "🧨" * 4000), "reply", "Welcome back"),
    Case(
        "delete-with-args-asks-first", idle, say("/delete yes now"), "reply", "Are you sure?", alex_unchanged
    ),
    Case("uppercase-command", in_session, say("/STRETCH"), "reply", "session in progress"),
    Case("command-for-this-bot", idle, say(f"/help@{BOT_USERNAME}"), "reply", "Here's what I can do"),
    Case(
        "command-for-another-bot",
        idle,
        say("/delete@some_other_bot"),
        "reply",
        UNKNOWN_COMMAND,
        alex_unchanged,
    ),
    Case("cancel-with-nothing-to-cancel", idle, say("/cancel"), "reply", general_view.nothing_to_cancel(EN)),
    # ----- edited messages: a deliberate silence, never a re-run
    Case("edit-to-delete", idle, edit_last_own("/delete"), "silence", check=alex_unchanged),
    Case("edit-to-time-mid-session", in_session, edit_last_own("25:61"), "silence", check=session_untouched),
    # ----- media in the middle of a session
    Case("sticker-in-session", in_session, media("sticker"), "reply", CANT_READ, session_untouched),
    Case(
        "photo-with-command-caption",
        in_session,
        media("photo", caption="/delete"),
        "reply",
        CANT_READ,
        alex_unchanged,
    ),
    Case("voice-in-session", in_session, media("voice"), "reply", CANT_READ, session_untouched),
    Case(
        "document-in-session",
        in_session,
        media("document", data=b"\x00" * 10, filename="x.exe"),
        "reply",
        CANT_READ,
        session_untouched,
    ),
    Case(
        "location-in-session",
        in_session,
        media("location", latitude=52.52, longitude=13.4),
        "reply",
        "haven't kept it",
        session_untouched,
    ),
    Case(
        "location-out-of-range-at-timezone",
        at_timezone,
        raw_message({"location": {"latitude": 95.0, "longitude": 200.0}}),
        "reply",
        "time zone",
    ),
    Case(
        "dice-in-session", in_session, raw_message({"dice": {"emoji": "🎲", "value": 6}}), "reply", CANT_READ
    ),
    Case(
        "contact-in-session",
        in_session,
        raw_message({"contact": {"phone_number": "+100", "first_name": "X"}}),
        "reply",
        CANT_READ,
    ),
    # ----- groups and channels
    Case(
        "group-command",
        idle,
        lambda c: c.h.fake.group_message(GROUP_ID, c.alex, "/start") and None,
        "reply",
        PRIVATE_ONLY,
    ),
    Case(
        "group-delete-for-this-bot",
        idle,
        lambda c: c.h.fake.group_message(GROUP_ID, c.alex, f"/delete@{BOT_USERNAME}") and None,
        "reply",
        PRIVATE_ONLY,
        alex_unchanged,
    ),
    Case(
        "group-chatter",
        idle,
        lambda c: c.h.fake.group_message(GROUP_ID, c.alex, "hello all") and None,
        "silence",
    ),
    Case("bot-added-to-group", idle, lambda c: c.h.fake.add_bot_to_group(GROUP_ID, c.alex), "silence"),
    Case(
        "channel-post-command",
        idle,
        lambda c: c.h.fake.channel_post(CHANNEL_ID, "/start") and None,
        "silence",
    ),
    Case(
        "channel-post-delete",
        idle,
        lambda c: c.h.fake.channel_post(CHANNEL_ID, "/delete") and None,
        "silence",
        check=alex_unchanged,
    ),
    Case(
        "edited-channel-post",
        idle,
        raw_update(
            lambda c: {
                "edited_channel_post": {
                    "message_id": 9,
                    "date": 1,
                    "edit_date": 2,
                    "text": "/start",
                    "chat": {"id": CHANNEL_ID, "type": "channel", "title": "C"},
                }
            }
        ),
        "silence",
    ),
    # ----- forged, malformed and oversized callback data
    Case("step-unknown-session", in_session, press("x:999999:0:d"), "toast", ENDED, session_untouched),
    Case(
        "step-bad-action",
        in_session,
        press(lambda c: f"x:{c.session_id}:0:zz"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-index-out-of-range",
        in_session,
        press(lambda c: f"x:{c.session_id}:99:d"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case("step-negative-session", in_session, press("x:-1:0:d"), "toast", EXPIRED, session_untouched),
    Case(
        "step-leading-zero",
        in_session,
        press(lambda c: f"x:0{c.session_id}:0:d"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-extra-parts",
        in_session,
        press(lambda c: f"x:{c.session_id}:0:d:again"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-missing-part",
        in_session,
        press(lambda c: f"x:{c.session_id}:0"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case("step-empty-parts", in_session, press("x:::"), "toast", EXPIRED, session_untouched),
    Case(
        "step-stale-index", in_session, press(step(b.StepAction.DONE, 3)), "toast", ALREADY, session_untouched
    ),
    Case(
        "step-null-byte",
        in_session,
        press(lambda c: f"x:{c.session_id}\x00:0:d"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-superscript-digit",
        in_session,
        press(lambda c: f"x:{c.session_id}:²:d"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-oversized-data",
        in_session,
        press(lambda c: f"x:{c.session_id}:0:d" + "9" * 100),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "step-timer-on-untimed-exercise",
        in_session,
        press(step(b.StepAction.TIMER, 6)),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case("oversized-junk-data", in_session, press("pn:" + "🧨" * 300), "toast", EXPIRED, session_untouched),
    Case("empty-data", in_session, press(""), "toast", EXPIRED, session_untouched),
    Case("unknown-prefix", in_session, press("zz:1:2:3"), "toast", EXPIRED, session_untouched),
    Case("prefix-only", in_session, press("x"), "toast", EXPIRED, session_untouched),
    Case("no-data-game-query", in_session, raw_callback(None, _no_data), "toast", EXPIRED, session_untouched),
    Case("inline-query-without-message-start", idle, raw_callback("go:now", _inline), "toast", EXPIRED),
    Case(
        "inline-query-without-message-step",
        in_session,
        raw_callback(step(b.StepAction.DONE), _inline),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case("button-on-a-group-message", in_session, alex_presses_in_group, "toast", EXPIRED, session_untouched),
    Case(
        "step-session-at-int32-max", in_session, press("x:2147483647:0:d"), "toast", ENDED, session_untouched
    ),
    Case(
        "step-session-beyond-int32",
        in_session,
        press("x:2147483648:0:d"),
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case("step-session-beyond-int64", in_session, press("x:9223372036854775808:0:d"), "toast", EXPIRED),
    Case("reminder-beyond-int32", idle, press("rm:2147483648:go"), "toast", EXPIRED),
    Case("erase-user-beyond-int32", idle, press("del:2147483648:1"), "toast", EXPIRED, alex_unchanged),
    Case(
        "inaccessible-old-message-still-works",
        in_session,
        raw_callback(step(b.StepAction.DONE), _inaccessible),
        "card",
        "Other side",
        session_moved_on,
    ),
    # ----- pain ratings outside 0-10
    Case("pain-11", pain_before, press(pain("b", "11")), "toast", EXPIRED),
    Case("pain-negative", pain_before, press(pain("b", "-1")), "toast", EXPIRED),
    Case("pain-fraction", pain_before, press(pain("b", "5.5")), "toast", EXPIRED),
    Case("pain-huge", pain_before, press(pain("b", "9" * 40)), "toast", EXPIRED),
    Case("pain-superscript", pain_before, press(pain("b", "²")), "toast", EXPIRED),
    Case("pain-unknown-moment", pain_before, press(pain("x", "3")), "toast", EXPIRED),
    Case("pain-after-42", at_pain_after, press(pain("a", "42")), "toast", EXPIRED),
    Case("pain-after-at-pain-before", pain_before, press(pain("a", "5")), "toast", ALREADY),
    Case("pain-before-at-pain-after", at_pain_after, press(pain("b", "5")), "toast", ALREADY),
    Case("pain-after-before-the-end", in_session, press(pain("a", "2")), "toast", ALREADY, session_untouched),
    Case(
        "pain-before-again-mid-session",
        in_session,
        press(pain("b", "9")),
        "toast",
        ALREADY,
        session_untouched,
    ),
    # ----- other handlers fed nonsense or out of order
    Case("reminder-unknown-log", idle, press("rm:99999:go"), "toast", EXPIRED),
    Case("reminder-non-numeric", idle, press("rm:abc:s30"), "toast", EXPIRED),
    Case("reminder-unknown-action", idle, press("rm:1:s90"), "toast", EXPIRED),
    Case("weekday-7", idle, press("wd:7:0"), "toast", EXPIRED),
    Case("weekday-negative", idle, press("wd:-1:0"), "toast", EXPIRED),
    Case("weekday-not-a-bool", idle, press("wd:1:2"), "toast", EXPIRED),
    Case("weekday-before-onboarding", at_timezone, press("wd:0:1"), "toast", EXPIRED),
    Case("settings-junk", idle, press("st:rm -rf /"), "toast", EXPIRED),
    Case("settings-before-onboarding", at_timezone, press("st:time"), "toast", EXPIRED),
    Case("language-unknown", idle, press("lang:xx"), "toast", EXPIRED),
    Case("hold-unknown-exercise", idle, press("hold:no_such_exercise:30"), "toast", EXPIRED),
    Case("hold-length-not-offered", idle, press("hold:seated_hip:31"), "toast", EXPIRED),
    Case("checkin-junk", idle, press("ci:maybe"), "toast", EXPIRED),
    # A check-in answer outside the check-in: explained, and the phase stays.
    Case("checkin-out-of-phase", idle, press("ci:less"), "reply", "answered already", still_in_habit),
    Case("flare-junk", idle, press("fl:??"), "toast", EXPIRED),
    Case("followup-junk", idle, press("fu:fine"), "toast", EXPIRED),
    # Only a reminder after a session whose pain went up asks how the pain is now, but a
    # report of worse pain is heard whenever it comes (never refused as "expired").
    Case(
        "followup-any-time",
        idle,
        press(f"fu:{FollowUp.WORSE.value}"),
        "reply",
        "Sorry it's worse",
        check=followup_logged,
    ),
    Case("screen-answer-unknown-question", in_session, press("rf:99:1"), "toast", EXPIRED, session_untouched),
    Case("screen-answer-not-yes-no", at_timezone, press("rf:q:maybe"), "toast", EXPIRED),
    Case("screen-cleared-when-clear", idle, press("scr:cleared"), "toast", EXPIRED),
    Case("onboarding-out-of-order", idle, press("ob:consent"), "toast", EXPIRED),
    Case("band-before-asked", at_timezone, press("band:1"), "toast", EXPIRED),
    Case("start-now-before-start", new_user, press("go:now"), "toast", EXPIRED),
    Case(
        "hurt-choice-when-not-hurt",
        in_session,
        press(lambda c: b.HurtButton(c.session_id, 0, HurtChoice.GO_ON).pack()),
        "toast",
        ALREADY,
        session_untouched,
    ),
    Case("hurt-choice-unknown", in_session, press(lambda c: f"h:{c.session_id}:0:maybe"), "toast", EXPIRED),
    # ----- another user's buttons
    Case(
        "bob-forges-alex-step",
        bob_in_session,
        press(step(b.StepAction.DONE), "bob"),
        "toast",
        ENDED,
        session_untouched,
    ),
    Case(
        "bob-presses-alex-message",
        bob_in_session,
        bob_presses_alex_message,
        "toast",
        EXPIRED,
        session_untouched,
    ),
    Case(
        "bob-forges-alex-erase",
        bob_in_session,
        press(lambda c: b.DeleteButton(c.alex_db_id, True).pack(), "bob"),
        "toast",
        EXPIRED,
        alex_unchanged,
    ),
    Case(
        "bob-forges-alex-resume",
        bob_in_session,
        press(lambda c: b.ResumeButton(c.session_id, b.Resume.END).pack(), "bob"),
        "toast",
        ENDED,
        session_untouched,
    ),
    Case(
        "bob-forges-alex-hurt",
        bob_in_session,
        press(step(b.StepAction.HURT), "bob"),
        "toast",
        ENDED,
        session_untouched,
    ),
    Case(
        "stranger-forges-alex-pain",
        in_session,
        press(lambda c: b.PainButton(c.session_id, b.PainWhen.BEFORE, 3).pack(), "bob"),
        "toast",
        NOT_STARTED,
        session_untouched,
    ),
    # ----- a session that has ended, a user who ran /delete
    Case(
        "cancelled-session-step",
        session_cancelled,
        press(lambda c: c.data(b.StepAction.DONE)),
        "toast",
        ENDED,
    ),
    Case(
        "cancelled-session-resume",
        session_cancelled,
        press(lambda c: b.ResumeButton(c.session_id, b.Resume.CONTINUE).pack()),
        "toast",
        ENDED,
    ),
    Case(
        "deleted-old-step-button",
        deleted,
        press(lambda c: c.data(b.StepAction.DONE)),
        "toast",
        NOT_STARTED,
        alex_gone,
    ),
    Case(
        "deleted-erase-again",
        deleted,
        press(lambda c: b.DeleteButton(c.alex_db_id, True).pack()),
        "toast",
        EXPIRED,
    ),
    Case("deleted-stretch", deleted, say("/stretch"), "reply", NOT_STARTED, alex_gone),
    Case("deleted-text", deleted, say("hello?"), "reply", NOT_STARTED, alex_gone),
    Case("deleted-sticker", deleted, media("sticker"), "reply", NOT_STARTED, alex_gone),
    Case(
        "deleted-location",
        deleted,
        media("location", latitude=1.0, longitude=1.0),
        "reply",
        NOT_STARTED,
        alex_gone,
    ),
    Case("deleted-export", deleted, say("/export"), "reply", NO_DATA, alex_gone),
    Case("deleted-delete", deleted, say("/delete"), "reply", NO_DATA, alex_gone),
    Case("deleted-progress", deleted, say("/progress"), "reply", NOT_STARTED, alex_gone),
    Case("deleted-settings", deleted, say("/settings"), "reply", NOT_STARTED, alex_gone),
    Case("deleted-hold-ends", deleted_mid_hold, hold_ends, "silence", check=alex_gone),
    Case("deleted-then-start-again", deleted, say("/start"), "reply", "Hi Alex"),
    # ----- a user who blocked the bot
    Case("blocked-reminder-time", blocked, reminder_due, "silence", check=alex_blocked_no_reminders),
    Case(
        "blocked-unnoticed-reminder",
        idle,
        lambda c: c.h.fake.block(c.alex.user_id, notify=False) or reminder_due(c),
        "silence",
        check=alex_blocked_no_reminders,
        changes=True,  # the refused reminder teaches the bot that Alex has blocked it
    ),
    Case(
        "unblocked-and-start",
        blocked,
        lambda c: c.alex.unblock_bot() or say("/start")(c),
        "reply",
        "Welcome back",
        alex_back,
    ),
    # ----- update kinds the bot does not handle
    Case(
        "poll-update",
        idle,
        raw_update(
            lambda c: {
                "poll": {
                    "id": "1",
                    "question": "?",
                    "options": [{"text": "a", "voter_count": 1, "persistent_id": "1"}],
                    "total_voter_count": 1,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            }
        ),
        "silence",
    ),
    Case(
        "reaction-update",
        idle,
        raw_update(
            lambda c: {
                "message_reaction": {
                    "chat": {"id": c.alex.chat_id, "type": "private", "first_name": "Alex"},
                    "message_id": 1,
                    "user": c.alex.as_json(),
                    "date": 1,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            }
        ),
        "silence",
    ),
    Case("empty-update", idle, raw_update(lambda c: {}), "silence"),
]


PARAMS = [
    pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
    for c in CASES
]


@pytest.mark.parametrize("case", PARAMS)
async def test_hostile_update(db: Database, case: Case) -> None:
    async with running_bot(db) as h:
        c = Ctx(h, h.user(1001, "Alex"), h.user(2002, "Bob"))
        c.bob.send_text("hi")  # Bob has a chat (and a message to hang forged queries on)
        await h.pump()
        await case.setup(c)
        assert h.errors == [], f"setup failed: {h.errors!r}"
        mark = h.fake.seq
        answers = len(h.fake.callback_answers)
        before = await snapshot(db)

        result = case.act(c)
        if result is not None:
            await result
        await h.pump()

        assert h.errors == [], f"an update failed or Telegram refused an effect: {h.errors!r}"
        changed = [
            m
            for chat in h.fake.chats.values()
            for m in chat.messages.values()
            if m.from_bot and m.changed_seq > mark
        ]
        shown = [m.payload.get("text", m.payload.get("caption", "")) for m in changed]
        sent = [m.payload.get("text", m.payload.get("caption", "")) for m in changed if m.seq > mark]
        toasts = [a.get("text") or "" for a in h.fake.callback_answers[answers:]]
        assert not any(APOLOGY in t for t in shown + toasts)
        if case.expect == "silence":
            assert (shown, toasts) == ([], []), "expected silence"
        elif case.expect == "toast":
            assert shown == [], f"expected only a toast, the bot wrote {shown}"
            assert len(toasts) == 1 and case.says in toasts[0], toasts
        elif case.expect == "card":
            assert any(case.says in t for t in shown), shown
        else:
            assert sent, "expected a reply, got none"
            assert any(case.says in t for t in sent), sent
        assert all(len(t) <= 4096 for t in shown)
        if case.expect in ("silence", "toast") and not case.changes:
            assert await snapshot(db) == before, "a refused update changed the database"
        if case.check is not None:
            await case.check(c)
        async with db.session() as s:
            failed = (
                await s.execute(select(InboxUpdate.update_id).where(InboxUpdate.error.is_not(None)))
            ).all()
        assert failed == []
        await assert_invariants(db)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
