"""The button protocol (bot/buttons.py): every family fits Telegram's 64 bytes at its
largest values, and anything that is not exactly one of our payloads (forged, oversized,
truncated, padded, with a field too many or too few) is refused by `parse`, and answered
"That button has expired." through the real handlers without touching any state.

A number cut short is still a number ("pn:7:b:10" -> "pn:7:b:1"), so truncation inside a
numeric field cannot be told from a real payload; Telegram never truncates callback data,
and what such a tap could do is what the shorter, real button does (the flows check that
the session, step and user are the presser's own).
"""

from __future__ import annotations

import typing
import zoneinfo
from dataclasses import fields
from enum import StrEnum
from typing import Any

import pytest

from bot import buttons as b
from bot.domain.routine import ROUTINE
from bot.domain.screening import QUESTIONS
from bot.i18n import SUPPORTED, translator
from bot.views import general as general_view
from db.engine import Database
from tests.harness import running_bot
from tests.invariants import assert_invariants, snapshot

EXPIRED = general_view.expired(translator("en"))
LONGEST_TOKEN = "Z" * 40  # the longest string a button field may carry (bot.buttons._TOKEN)


def _hints(family: type[b.ButtonData]) -> dict[str, Any]:
    return typing.get_type_hints(family)


def largest(family: type[b.ButtonData]) -> b.ButtonData:
    """The family with every field at the largest value its type allows."""
    values: dict[str, Any] = {}
    hints = _hints(family)
    for f in fields(family):  # type: ignore[arg-type]
        kind = hints[f.name]
        if kind is bool:
            values[f.name] = True
        elif isinstance(kind, type) and issubclass(kind, StrEnum):
            values[f.name] = max(kind, key=lambda member: len(member.value.encode()))
        elif kind is int:
            values[f.name] = b.MAX_INT
        elif kind is str:
            values[f.name] = LONGEST_TOKEN
        else:  # pragma: no cover - a new field type needs a case here
            raise AssertionError(f"{family.__name__}.{f.name}: no largest value for {kind!r}")
    return family(**values)


FAMILIES = list(b.FAMILIES)
IDS = [f.__name__ for f in FAMILIES]


def test_every_family_is_registered_once_with_a_readable_prefix() -> None:
    assert len(FAMILIES) >= 20
    prefixes = [f.prefix for f in FAMILIES]
    assert len(set(prefixes)) == len(prefixes)
    for prefix in prefixes:
        assert prefix.isascii() and prefix.isalpha() and prefix.islower() and len(prefix) <= 4, prefix
    assert b.parse  # the one reader


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_every_family_fits_64_bytes_at_its_largest_and_round_trips(family: type[b.ButtonData]) -> None:
    button = largest(family)
    data = button.pack()
    assert len(data.encode()) <= 64, data
    assert b.parse(data) == button
    assert family.unpack(data) == button


def test_the_real_values_buttons_carry_all_pack() -> None:
    """Every zone name, exercise, hold length, question and language the bot may put in a
    button packs and reads back (a name the codec could not carry would crash a flow)."""
    packed: list[b.ButtonData] = []
    packed += [b.ZoneButton(zone) for zone in sorted(zoneinfo.available_timezones())]
    packed += [b.ZoneButton(f"{m:+d}") for m in range(-720, 841, 15)]
    packed += [b.HoldButton(e.key, s) for e in ROUTINE for s in (e.dose.hold_choices() or [30])]
    packed += [b.ScreenAnswer(q.key, yes) for q in QUESTIONS for yes in (True, False)]
    packed += [b.LanguageButton(code) for code in SUPPORTED]
    packed += [b.TimeButton(m) for m in (0, 24 * 60 - 1)]
    for button in packed:
        assert b.parse(button.pack()) == button


def test_pack_refuses_what_it_cannot_carry() -> None:
    for bad in (
        lambda: b.StepButton(-1, 0, b.StepAction.DONE),
        lambda: b.StepButton(b.MAX_INT + 1, 0, b.StepAction.DONE),
        lambda: b.ZoneButton("Europe/Berlin Mitte"),
        lambda: b.ZoneButton("Z" * 41),
        lambda: b.HoldButton("knees:to:chest", 30),
    ):
        with pytest.raises(ValueError):
            bad().pack()


def _bad_values(kind: Any) -> list[str]:
    """Field texts that must never parse as `kind`."""
    common = ["", " ", "\x00", "ä", "🧨", "\u202e1"]
    if kind is bool:
        return [*common, "2", "-1", "true", "True", "yes", "01", "1 "]
    if kind is int:
        return [
            *common,
            "-1",
            "+1",
            "01",
            "1.0",
            "1e3",
            "0x10",
            "²",
            "١",  # Arabic-Indic one
            "１",  # fullwidth one
            " 1",
            "1 ",
            str(b.MAX_INT + 1),
            "9" * 17,
        ]
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        value = next(iter(kind)).value
        return [*common, value.upper() if value.upper() != value else value + "x", value + " ", "unknown"]
    if kind is str:
        return [*common, "a b", "a:b", "Z" * 41, "a\nb", "a\tb"]
    raise AssertionError(kind)  # pragma: no cover


def forged(family: type[b.ButtonData]) -> list[str]:
    """Payloads a forged or broken client could send for this family; none is ours."""
    data = largest(family).pack()
    parts = data.split(b.SEP)
    out = [
        data + b.SEP + "1",  # a field too many
        data + b.SEP,  # an empty extra field
        b.SEP.join(parts[:-1]),  # the last field cut off
        parts[0],  # the prefix alone
        parts[0] + b.SEP,
        parts[0].upper() + data[len(parts[0]) :],  # the prefix in capitals
        " " + data,
        data + " ",
        data + "\x00",
        (data + "0" * 64)[:65],  # padded past 64 bytes
        data.replace(b.SEP, ";"),
        b.SEP + data,
    ]
    out += [data[:i] for i, ch in enumerate(data) if ch == b.SEP]  # cut at every separator
    out += [data[: i + 1] for i, ch in enumerate(data) if ch == b.SEP]  # ... leaving an empty field
    hints = _hints(family)
    for index, f in enumerate(fields(family), start=1):  # type: ignore[arg-type]
        for bad in _bad_values(hints[f.name]):
            out.append(b.SEP.join([*parts[:index], bad, *parts[index + 1 :]]))
    return out


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
def test_forged_oversized_and_truncated_payloads_are_refused(family: type[b.ButtonData]) -> None:
    for payload in forged(family):
        assert b.parse(payload) is None, f"{family.__name__} accepted {payload!r}"


def test_payloads_that_are_nobodys_are_refused() -> None:
    for payload in (None, "", ":", "::", "x" * 64, "x" * 65, "🧨" * 16, "zz:1", "X:1:1:d", "pn", "pn:1:b"):
        assert b.parse(payload) is None, payload


def test_no_family_reads_another_familys_payload() -> None:
    for family in FAMILIES:
        data = largest(family).pack()
        for other in FAMILIES:
            if other is not family:
                assert other.unpack(data) is None


async def test_forged_payloads_are_answered_expired_by_the_real_handlers(db: Database) -> None:
    """Through getUpdates, the inbox, the worker, the routes and the sender: for every family
    a sample of forged payloads gets exactly one "expired" toast, nothing else, no change."""
    async with running_bot(db) as h:
        alex = h.user()
        await h.onboard(alex)
        await h.press(alex, "Wait for my reminder")
        message_id = alex.last_bot_message().message_id
        before = await snapshot(db)
        sent = len(alex.bot_messages())
        cases = [(family, payload) for family in FAMILIES for payload in forged(family)[::3]]
        assert len(cases) >= 6 * len(FAMILIES)
        for family, payload in cases:
            query_id = alex.press_raw(payload, message_id)
            await h.pump()
            answer = h.fake.callback_answer(query_id)
            assert answer is not None and answer.get("text") == EXPIRED, (family.__name__, payload, answer)
        assert len(alex.callback_answers()) >= len(cases)
        assert len(alex.bot_messages()) == sent
        assert all(m.edit_count == 0 for m in alex.bot_messages() if m.message_id == message_id)
        assert await snapshot(db) == before
        assert h.errors == []
        await assert_invariants(db)
