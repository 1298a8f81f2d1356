"""Hostile-input corpus: odd, forged and out-of-place updates through the real Application.

Every case states what the bot must do (a reply, a button toast, or a deliberate
silence), and after every case: no exception reached the error handler and the
database invariants hold (see `assert_invariants`, shared with test_reliability.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text

from bot import texts
from db.engine import Database
from db.models import Base
from tests.harness import Harness, running_bot
from tgemu import TelegramUser

BOT_USERNAME = "stretch_coach_test_bot"
GROUP_ID = -1001234567890
CHANNEL_ID = -1009876543210

# --------------------------------------------------------------------------- invariants

_INVARIANTS = {
    "duplicate result for (session, exercise, side)": "SELECT session_id, exercise_key, side FROM exercise_results "
    "GROUP BY session_id, exercise_key, side HAVING COUNT(*) > 1",
    "result without a session": "SELECT r.id FROM exercise_results r LEFT JOIN practice_sessions s ON s.id = r.session_id "
    "WHERE s.id IS NULL",
    "session without a user": "SELECT s.id FROM practice_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL",
    "more than one open session per user": "SELECT user_id FROM practice_sessions WHERE status = 'open' GROUP BY user_id HAVING COUNT(*) > 1",
    "reminder log without a user": "SELECT r.id FROM reminder_log r LEFT JOIN users u ON u.id = r.user_id WHERE u.id IS NULL",
    "phase change without a user": "SELECT p.id FROM phase_changes p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
    "screening answer without a user": "SELECT a.id FROM screening_answers a LEFT JOIN users u ON u.id = a.user_id WHERE u.id IS NULL",
    "pain rating outside 0-10": "SELECT id FROM practice_sessions WHERE pain_before NOT BETWEEN 0 AND 10 "
    "OR pain_after NOT BETWEEN 0 AND 10",
    "session step outside the routine": "SELECT id FROM practice_sessions WHERE step < 0 OR step > 13",
    "unknown outcome": "SELECT id FROM exercise_results WHERE outcome NOT IN ('done', 'skipped', 'stopped_pain')",
}


async def assert_invariants(db: Database) -> None:
    """One row per (session, exercise, side), no orphans, at most one open session per user."""
    broken: dict[str, list[Any]] = {}
    async with db.engine.connect() as conn:
        for name, sql in _INVARIANTS.items():
            rows = (await conn.execute(text(sql))).all()
            if rows:
                broken[name] = [tuple(r) for r in rows]
    assert broken == {}, f"database invariants broken: {broken}"


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused update changed nothing."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = await conn.execute(table.select().order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


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

    def data(self, suffix: str) -> str:
        return next(d for d in self.live_data if d.endswith(suffix))


Setup = Callable[[Ctx], Awaitable[None]]
Act = Callable[[Ctx], Awaitable[None] | None]


async def _remember_live(c: Ctx) -> None:
    from bot.services import store

    async with c.h.db.session() as s:
        user = await store.get_user(s, c.alex.user_id)
        assert user is not None
        c.alex_db_id = user.id
        practice = await store.open_session(s, user.id)
        if practice is not None:
            c.session_id = practice.id
            c.live_id = practice.message_id or 0
    if c.live_id:
        live = next(m for m in c.alex.bot_messages() if m.message_id == c.live_id)
        c.live_data = live.callback_data


async def new_user(c: Ctx) -> None:
    """Alex never sent /start (he has only said hello)."""
    await c.h.say(c.alex, "hi")


async def at_timezone(c: Ctx) -> None:
    from bot.domain.screening import QUESTIONS

    await c.h.say(c.alex, "/start")
    await c.h.press(c.alex, "Let's go")
    await c.h.press(c.alex, "I understand")
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
    c.alex.press_raw("st:time", c.alex.last_bot_message().message_id)
    await c.h.pump()


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
    from bot.domain.routine import STEPS

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


async def deleted_with_timer(c: Ctx) -> None:
    await in_session(c)
    await c.h.press(c.alex, "⏱ Start 20 s timer")
    await c.h.say(c.alex, "/delete")
    await c.h.press(c.alex, "Yes, erase everything")


async def bob_in_session(c: Ctx) -> None:
    """Alex and Bob both mid-session; Bob will forge Alex's buttons."""
    await in_session(c)
    await c.h.onboard(c.bob)
    await c.h.press(c.bob, "▶️ Start now")
    await c.h.press(c.bob, "5")


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


def raw_callback(data: str | None, change: Callable[[dict[str, Any], Ctx], None]) -> Act:
    """A callback query the emulator would never produce (no message, no data...)."""

    def act(c: Ctx) -> None:
        value = data.format(sid=c.session_id) if data is not None else ""
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
    def act(c: Ctx) -> None:
        c.h.fake.push_update(payload(c))

    return act


def bob_presses_alex_message(c: Ctx) -> None:
    """Bob's client sends a query for Alex's message (only a forged client could)."""
    c.h.fake.emit_callback_query(c.bob.user_id, c.alex.chat_id, c.live_id, c.data(":d"))


def alex_presses_in_group(c: Ctx) -> None:
    """A query naming Alex's session, but on a group's message: answering would write there."""
    message_id = c.h.fake.group_message(GROUP_ID, c.alex, "hello all")
    c.h.fake.emit_callback_query(c.alex.user_id, GROUP_ID, message_id, c.data(":d"))


def edit_last_own(new_text: str) -> Act:
    def act(c: Ctx) -> None:
        own = [m for m in c.alex.chat() if not m.from_bot]
        c.alex.edit_message(own[-1].message_id, new_text)

    return act


def media(kind: str, **kwargs: Any) -> Act:
    def act(c: Ctx) -> None:
        getattr(c.alex, f"send_{kind}")(**kwargs)

    return act


async def wait_for_timer(c: Ctx) -> None:
    await asyncio.sleep(0.5)  # the 20 s hold at 1/100 speed has fired by now


# --------------------------------------------------------------------------- expectations


async def alex_unchanged(c: Ctx) -> None:
    assert await c.h.db_user(c.alex.user_id) is not None


async def alex_gone(c: Ctx) -> None:
    assert await c.h.db_user(c.alex.user_id) is None


async def session_untouched(c: Ctx) -> None:
    rows = await _session_row(c)
    assert rows == ("open", "exercise", 0), rows


async def session_moved_on(c: Ctx) -> None:
    rows = await _session_row(c)
    assert rows == ("open", "exercise", 1), rows


async def _session_row(c: Ctx) -> tuple[str, str, int]:
    async with c.h.db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT status, stage, step FROM practice_sessions WHERE id = :i"), {"i": c.session_id}
            )
        ).one()
    return tuple(row)  # type: ignore[return-value]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup
    act: Act
    expect: str  # "reply": a new bot message; "toast": only a button answer; "silence": nothing at all
    says: str = ""  # text the reply/toast must contain
    check: Callable[[Ctx], Awaitable[None]] | None = None
    after: Callable[[Ctx], Awaitable[None]] | None = None  # runs after pumping, before the checks


HINT = "Tap a button below"
CANT_READ = "can't read that kind of message"
ENDED = "session has ended"

CASES = [
    # ----- text: empty, huge, emoji, right-to-left, control characters, markup
    Case("empty-text-in-session", in_session, raw_message({"text": ""}), "reply", HINT),
    Case("whitespace-text-in-session", in_session, say(" \n\t "), "reply", HINT),
    Case("4096-chars-in-session", in_session, say("a" * 4096), "reply", HINT, session_untouched),
    Case("4096-emoji-at-timezone", at_timezone, say("🧘" * 4096), "reply", "couldn't find a time zone"),
    Case("4096-chars-at-time", at_time, say("7" * 4096), "reply", "couldn't read"),
    Case("rtl-text-in-session", in_session, say("مرحبا بالعالم \u202eevil\u202c"), "reply", HINT),
    Case("rtl-at-timezone", at_timezone, say("القاهرة \u200f"), "reply", "couldn't find a time zone"),
    Case("emoji-only-idle", idle, say("🧘‍♀️🔥💥🫠"), "reply", texts.FREE_TEXT_IDLE),
    Case("zero-width-idle", idle, say("\u200b\u200d\ufeff"), "reply", texts.FREE_TEXT_IDLE),
    Case("control-chars-at-timezone", at_timezone, say("\x00\x01\x7f"), "reply", "time zone"),
    Case(
        "html-at-timezone",
        at_timezone,
        say("<b>x</b><script>alert(1)</script>"),
        "reply",
        "<script>alert(1)</script>",
    ),
    Case("markdown-at-time", at_time, say("*_[`]("), "reply", "couldn't read"),
    Case(
        "sql-text-idle", idle, say("'; DROP TABLE users; --"), "reply", texts.FREE_TEXT_IDLE, alex_unchanged
    ),
    # ----- times and zones that do not exist
    Case("time-25:61", at_time, say("25:61"), "reply", "couldn't read “25:61”"),
    Case("time-24:00", at_time, say("24:00"), "reply", "couldn't read"),
    Case("time-13pm", at_time, say("13pm"), "reply", "couldn't read"),
    Case("time-huge-number", at_time, say("99999999999999999999:99"), "reply", "couldn't read"),
    Case("time-negative", at_time, say("-1:30"), "reply", "couldn't read"),
    Case("time-25:61-in-settings", awaiting_time, say("25:61"), "reply", "couldn't read “25:61”"),
    Case("time-button-2561", at_time, press("tm:2561"), "toast", texts.BUTTON_EXPIRED),
    Case("time-button-short", at_time, press("tm:07"), "toast", texts.BUTTON_EXPIRED),
    Case("time-button-when-not-asked", idle, press("tm:0800"), "toast", texts.BUTTON_EXPIRED),
    Case("zone-typed-nonsense", at_timezone, say("Mars/Olympus_Mons"), "reply", "couldn't find a time zone"),
    Case("zone-typed-path", at_timezone, say("../../../../etc/passwd"), "reply", "couldn't find"),
    Case("zone-button-path", at_timezone, press("tz:../../etc/passwd"), "toast", texts.BUTTON_EXPIRED),
    Case("zone-button-offset-out-of-range", at_timezone, press("tz:+9999"), "toast", texts.BUTTON_EXPIRED),
    Case("zone-button-offset-too-long", at_timezone, press("tz:+99999"), "toast", texts.BUTTON_EXPIRED),
    Case("zone-button-when-not-asked", in_session, press("tz:Europe/Berlin"), "toast", texts.BUTTON_EXPIRED),
    # ----- commands
    Case("unknown-command", idle, say("/foobar"), "reply", texts.UNKNOWN_COMMAND),
    Case("bare-slash", idle, say("/"), "reply", texts.UNKNOWN_COMMAND),
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
        texts.UNKNOWN_COMMAND,
        alex_unchanged,
    ),
    Case("cancel-with-nothing-to-cancel", idle, say("/cancel"), "reply", texts.NOTHING_TO_CANCEL),
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
    Case("voice-in-session", in_session, media("voice"), "reply", CANT_READ),
    Case(
        "document-in-session",
        in_session,
        media("document", data=b"\x00" * 10, filename="x.exe"),
        "reply",
        CANT_READ,
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
        texts.GROUP_ONLY_PRIVATE,
    ),
    Case(
        "group-delete-for-this-bot",
        idle,
        lambda c: c.h.fake.group_message(GROUP_ID, c.alex, f"/delete@{BOT_USERNAME}") and None,
        "reply",
        texts.GROUP_ONLY_PRIVATE,
        alex_unchanged,
    ),
    Case(
        "group-chatter",
        idle,
        lambda c: c.h.fake.group_message(GROUP_ID, c.alex, "hello all") and None,
        "silence",
    ),
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
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case(
        "step-index-out-of-range",
        in_session,
        press(lambda c: f"x:{c.session_id}:99:d"),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case("step-negative-session", in_session, press("x:-1:0:d"), "toast", texts.BUTTON_EXPIRED),
    Case(
        "step-extra-parts",
        in_session,
        press(lambda c: f"x:{c.session_id}:0:d:again"),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case("step-empty-parts", in_session, press("x:::"), "toast", texts.BUTTON_EXPIRED),
    Case(
        "step-stale-index",
        in_session,
        press(lambda c: f"x:{c.session_id}:3:d"),
        "toast",
        "Already recorded",
        session_untouched,
    ),
    Case(
        "step-null-byte",
        in_session,
        press(lambda c: f"x:{c.session_id}\x00:0:d"),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case(
        "step-superscript-digit",
        in_session,
        press(lambda c: f"x:{c.session_id}:²:d"),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case(
        "step-oversized-data",
        in_session,
        press(lambda c: f"x:{c.session_id}:0:d" + "9" * 100),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case("oversized-junk-data", in_session, press("pb:" + "🧨" * 300), "toast", texts.BUTTON_EXPIRED),
    Case("empty-data", in_session, press(""), "toast", texts.BUTTON_EXPIRED),
    Case("unknown-prefix", in_session, press("zz:1:2:3"), "toast", texts.BUTTON_EXPIRED),
    Case("no-data-game-query", in_session, raw_callback(None, _no_data), "toast", texts.BUTTON_EXPIRED),
    Case(
        "inline-query-without-message-start",
        idle,
        raw_callback("go:now", _inline),
        "toast",
        texts.BUTTON_EXPIRED,
    ),
    Case(
        "inline-query-without-message-step",
        in_session,
        raw_callback("x:{sid}:0:d", _inline),
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case(
        "button-on-a-group-message",
        in_session,
        alex_presses_in_group,
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case("step-ten-digit-session", in_session, press("x:2147483648:0:d"), "toast", texts.BUTTON_EXPIRED),
    Case(
        "inaccessible-old-message-still-works",
        in_session,
        raw_callback("x:{sid}:0:d", _inaccessible),
        "reply",
        "Exercise 1 of 7",
        session_moved_on,
    ),
    # ----- pain ratings outside 0-10
    Case("pain-11", pain_before, press(lambda c: f"pb:{c.session_id}:11"), "toast", texts.BUTTON_EXPIRED),
    Case(
        "pain-negative", pain_before, press(lambda c: f"pb:{c.session_id}:-1"), "toast", texts.BUTTON_EXPIRED
    ),
    Case(
        "pain-fraction", pain_before, press(lambda c: f"pb:{c.session_id}:5.5"), "toast", texts.BUTTON_EXPIRED
    ),
    Case(
        "pain-huge",
        pain_before,
        press(lambda c: f"pb:{c.session_id}:{'9' * 40}"),
        "toast",
        texts.BUTTON_EXPIRED,
    ),
    Case(
        "pain-superscript",
        pain_before,
        press(lambda c: f"pb:{c.session_id}:²"),
        "toast",
        texts.BUTTON_EXPIRED,
    ),
    Case(
        "pain-after-42",
        at_pain_after,
        press(lambda c: f"pa:{c.session_id}:42"),
        "toast",
        texts.BUTTON_EXPIRED,
    ),
    Case(
        "pain-before-again-mid-session",
        in_session,
        press(lambda c: f"pb:{c.session_id}:9"),
        "toast",
        "Already noted",
        session_untouched,
    ),
    # ----- other handlers fed nonsense or out of order
    Case("reminder-unknown-log", idle, press("rm:99999:go"), "toast", texts.BUTTON_EXPIRED),
    Case("reminder-non-numeric", idle, press("rm:abc:s30"), "toast", texts.BUTTON_EXPIRED),
    Case("weekday-7", idle, press("wd:7"), "toast", texts.BUTTON_EXPIRED),
    Case("weekday-negative", idle, press("wd:-1"), "toast", texts.BUTTON_EXPIRED),
    Case("weekday-before-onboarding", at_timezone, press("wd:ok"), "toast", texts.BUTTON_EXPIRED),
    Case("settings-junk", idle, press("st:rm -rf /"), "toast", texts.BUTTON_EXPIRED),
    Case("checkin-junk", idle, press("ci:maybe"), "toast", texts.BUTTON_EXPIRED),
    Case("checkin-out-of-phase", idle, press("ci:less"), "toast", texts.BUTTON_EXPIRED),
    Case("flare-junk", idle, press("fl:??"), "toast", texts.BUTTON_EXPIRED),
    Case("screen-answer-out-of-range", in_session, press("rf:99:y"), "toast", texts.BUTTON_EXPIRED),
    Case("screen-answer-not-yes-no", at_timezone, press("rf:0:maybe"), "toast", texts.BUTTON_EXPIRED),
    Case("screen-cleared-when-clear", idle, press("scr:cleared"), "toast", texts.BUTTON_EXPIRED),
    Case("onboarding-out-of-order", idle, press("ob:agree"), "toast", texts.BUTTON_EXPIRED),
    Case("start-now-before-start", new_user, press("go:now"), "toast", texts.NOT_STARTED),
    Case(
        "hurt-choice-when-not-hurt",
        in_session,
        press(lambda c: f"h:{c.session_id}:0:n"),
        "toast",
        "Already chosen",
        session_untouched,
    ),
    # ----- another user's buttons
    Case(
        "bob-forges-alex-step",
        bob_in_session,
        press(lambda c: f"x:{c.session_id}:0:d", "bob"),
        "toast",
        ENDED,
        session_untouched,
    ),
    Case(
        "bob-presses-alex-message",
        bob_in_session,
        bob_presses_alex_message,
        "toast",
        texts.BUTTON_EXPIRED,
        session_untouched,
    ),
    Case(
        "bob-forges-alex-erase",
        bob_in_session,
        press(lambda c: f"del:{c.alex_db_id}:yes", "bob"),
        "toast",
        texts.BUTTON_EXPIRED,
        alex_unchanged,
    ),
    Case(
        "bob-forges-alex-resume",
        bob_in_session,
        press(lambda c: f"rs:{c.session_id}:e", "bob"),
        "toast",
        ENDED,
        session_untouched,
    ),
    Case(
        "stranger-forges-alex-pain",
        in_session,
        press(lambda c: f"pb:{c.session_id}:3", "bob"),
        "toast",
        texts.NOT_STARTED,
    ),
    # ----- a session that has ended, a user who ran /delete
    Case("cancelled-session-step", session_cancelled, press(lambda c: c.data(":d")), "toast", ENDED),
    Case(
        "cancelled-session-resume", session_cancelled, press(lambda c: f"rs:{c.session_id}:c"), "toast", ENDED
    ),
    Case(
        "deleted-old-step-button",
        deleted,
        press(lambda c: c.data(":d")),
        "toast",
        texts.NOT_STARTED,
        alex_gone,
    ),
    Case(
        "deleted-erase-again",
        deleted,
        press(lambda c: f"del:{c.alex_db_id}:yes"),
        "toast",
        texts.BUTTON_EXPIRED,
    ),
    Case("deleted-stretch", deleted, say("/stretch"), "reply", texts.NOT_STARTED, alex_gone),
    Case("deleted-text", deleted, say("hello?"), "reply", texts.NOT_STARTED, alex_gone),
    Case("deleted-sticker", deleted, media("sticker"), "reply", texts.NOT_STARTED, alex_gone),
    Case(
        "deleted-location",
        deleted,
        media("location", latitude=1.0, longitude=1.0),
        "reply",
        texts.NOT_STARTED,
        alex_gone,
    ),
    Case("deleted-export", deleted, say("/export"), "reply", "I have no data about you", alex_gone),
    Case("deleted-delete", deleted, say("/delete"), "reply", "I have no data about you", alex_gone),
    Case("deleted-progress", deleted, say("/progress"), "reply", texts.NOT_STARTED, alex_gone),
    Case("deleted-settings", deleted, say("/settings"), "reply", texts.NOT_STARTED, alex_gone),
    Case(
        "deleted-timer-fires", deleted_with_timer, lambda c: None, "silence", alex_gone, after=wait_for_timer
    ),
    Case("deleted-then-start-again", deleted, say("/start"), "reply", "Hi Alex"),
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
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
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
        if case.after is not None:
            await case.after(c)
            await h.pump()

        assert h.errors == [], f"an exception reached the error handler: {h.errors!r}"
        new = [
            m
            for chat in h.fake.chats.values()
            for m in chat.messages.values()
            if m.from_bot and m.changed_seq > mark
        ]
        sent = [m.payload.get("text", m.payload.get("caption", "")) for m in new if m.seq > mark]
        toasts = [a.get("text") or "" for a in h.fake.callback_answers[answers:]]
        assert texts.ERROR not in sent
        if case.expect == "silence":
            assert (sent, toasts, len(new)) == ([], [], 0)
        elif case.expect == "toast":
            assert sent == [] and len(new) == 0, f"expected only a toast, the bot wrote {sent}"
            assert len(toasts) == 1 and case.says in toasts[0], toasts
        else:
            assert sent, "expected a reply, got silence"
            assert any(case.says in t for t in sent), sent
            assert all(len(t) <= 4096 for t in sent)
        if case.expect in ("silence", "toast"):
            assert await snapshot(db) == before, "a refused update changed the database"
        if case.check is not None:
            await case.check(c)
        await assert_invariants(db)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
