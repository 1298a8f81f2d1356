"""User journeys end to end: the real bot process (`python -m bot`, long polling over HTTP)
against the Bot API emulator, with a throw-away database (SQLite, or TEST_DATABASE_URL).

The person plays through the chat like someone on a phone: taps buttons, types a city, waits
for the bot. Reminders arrive without waiting hours: the bot is stopped and started again with
CLOCK_OFFSET_SECONDS putting its clock just past the next reminder instant.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.buttons import TimeButton
from bot.domain.routine import ROUTINE, STEPS, Step
from bot.domain.screening import QUESTIONS
from bot.i18n import Translator
from bot.views import exercises as exercises_view
from db.engine import Database
from db.models import ExerciseResult, PracticeSession, User
from tests.botproc import BotProcess, emulator, start_bot, wait_until_polling
from tgemu import FakeTelegram, TelegramUser

WAIT = 15.0  # the longest the person waits for any one reaction
READ_SECONDS = 2.0  # a quick person reads a reply and taps again after this long (emulator clock)
TICK = 10  # the hold timer's countdown edits come every 10 s (bot.pipeline.timers.TICK_SECONDS)
TELEGRAM_GLOBAL_LIMIT = 30  # messages per second for one bot
BURST_PER_CHAT = 3  # sends/edits one tap may cause in a chat: settle the pressed message + two more
# Cities a few hours apart: one of them is always past 08:30 and before 22:30 right now, so a
# reminder at 08:00 is next due tomorrow and the local day cannot roll over during the test.
CITIES = {
    "Berlin": "Europe/Berlin",
    "Tokyo": "Asia/Tokyo",
    "New York": "America/New_York",
    "Los Angeles": "America/Los_Angeles",
}
AT_EIGHT = TimeButton(8 * 60).pack()  # the "8:00 AM" button (its label follows the locale)
EN = Translator("en")


def pick_city(now: datetime) -> tuple[str, str]:
    for city, zone in CITIES.items():
        local = now.astimezone(ZoneInfo(zone)).time()
        if time(8, 30) <= local < time(22, 30):
            return city, zone
    raise AssertionError("no city fits; CITIES must cover the clock")  # pragma: no cover


@dataclass
class Journey:
    """One person, one bot process at a time, and how much the bot sent for each thing they did.

    Between two actions the person reads for READ_SECONDS of the emulator's clock
    (``fake.advance``), so its per-chat rate windows see a human pace while the test runs at
    machine speed; the same goes for the 10 s steps of a hold timer's countdown.
    """

    fake: FakeTelegram
    base_url: str
    db: Database
    workdir: Path
    user: TelegramUser
    bot: BotProcess | None = None
    runs: int = 0
    taps: int = 0
    bursts: list[tuple[str, int]] = field(default_factory=list)
    rejected: list[tuple[str, dict[str, object], str | None]] = field(default_factory=list)
    others: list[Journey] = field(default_factory=list)

    def calls_failed(self) -> list[tuple[str, dict[str, object], str | None]]:
        return [(c.method, c.params, c.description) for c in self.fake.calls if c.status >= 400]

    def meet(self, user: TelegramUser) -> Journey:
        """Someone else in the same bot process (the end-of-test checks cover them too)."""
        other = dataclasses.replace(self, user=user, taps=0, bursts=[], rejected=[], others=[])
        self.others.append(other)
        return other

    async def start(self, clock_offset: float = 0.0) -> None:
        self.runs += 1
        self.rejected.extend(self.calls_failed())
        self.fake.calls.clear()  # wait_until_polling looks for this run's first calls
        self.bot = await start_bot(
            self.base_url,
            self.db.url,
            self.workdir,
            name=f"bot{self.runs}",
            CLOCK_OFFSET_SECONDS=str(clock_offset),
        )
        try:
            await wait_until_polling(self.fake, timeout=WAIT * 2)
        except TimeoutError:
            raise AssertionError(f"the bot did not start:\n{self.bot.log()[-3000:]}") from None

    async def stop(self) -> None:
        assert self.bot is not None
        code = await self.bot.stop()
        assert code == 0, f"the bot exited with {code}:\n{self.bot.log()[-3000:]}"

    async def restart_at_next_reminder(self, seconds_after: float = 1.0) -> datetime:
        """Stop the bot, then start it with its clock just past the user's next reminder."""
        await self.stop()
        due = await self.next_reminder_at()
        offset = (due - datetime.now(UTC)).total_seconds() + seconds_after
        await self.start(clock_offset=offset)
        return due

    async def next_reminder_at(self) -> datetime:
        async with self.db.session() as s:
            due = await s.scalar(select(User.next_reminder_at).where(User.telegram_id == self.user.user_id))
        assert due is not None, "no reminder planned"
        return due if due.tzinfo else due.replace(tzinfo=UTC)

    def _changed_since(self, mark: int) -> list[str]:
        chat = self.fake.chats[self.user.chat_id]
        return [
            (m.payload.get("text") or m.payload.get("caption") or "")
            for m in chat.messages.values()
            if m.from_bot and m.changed_seq > mark
        ]

    async def see(self, needle: str, since: int, what: str = "") -> None:
        """Wait until a bot message sent or edited after change number `since` contains `needle`."""
        try:
            await self.fake.wait_for(
                lambda: any(needle in t for t in self._changed_since(since)), WAIT, repr(needle)
            )
        except TimeoutError:
            seen = [m.text for m in self.user.bot_messages()[-3:]]
            log = self.bot.log()[-3000:] if self.bot else ""
            raise AssertionError(f"{what}: no {needle!r}; last messages {seen}\n{log}") from None

    async def _done(self, what: str, sent_before: int) -> None:
        """The bot went quiet: note what this action cost the chat, then the person reads."""
        await self.fake.settle(quiet=0.1, timeout=WAIT)
        self.bursts.append((what, len(self.fake.sends(self.user.chat_id)) - sent_before))
        self.fake.advance(READ_SECONDS)

    async def act(self, what: str, action: Callable[[], object], expect: str) -> None:
        """Do one thing in the chat and wait until the bot shows `expect` and is quiet."""
        mark, sent = self.fake.seq, len(self.fake.sends(self.user.chat_id))
        action()
        await self.see(expect, mark, what)
        await self._done(what, sent)

    async def tap(self, label: str, expect: str) -> None:
        self.taps += 1
        await self.act(f"tap {label!r}", lambda: self.user.press(label), expect)

    async def say(self, text: str, expect: str) -> None:
        if text.startswith("/"):
            await self.act(text, lambda: self.user.send_command(text), expect)
        else:
            await self.act(f"type {text!r}", lambda: self.user.send_text(text), expect)

    async def hold(self, label: str, seconds: int, expect: str) -> None:
        """Start a hold timer and wait it out: a countdown edit every 10 s, then `expect`."""
        self.taps += 1
        mark = self.fake.seq
        self.user.press(label)
        for left in range(seconds, 0, -TICK):
            sent = len(self.fake.sends(self.user.chat_id))
            await self.see(f"{left} seconds to go", mark, label)
            self.bursts.append((f"{label}: {left} s to go", len(self.fake.sends(self.user.chat_id)) - sent))
            self.fake.advance(TICK)  # the bot's next edit comes 10 (scaled) seconds later
        sent = len(self.fake.sends(self.user.chat_id))
        await self.see(expect, mark, label)
        await self._done(f"{label}: over", sent)

    def last(self) -> str:
        return self.user.last_bot_message().text or ""

    async def unprompted(self, needle: str, since: int) -> None:
        """Something the bot says on its own (a reminder) after change number `since`."""
        sent = len(self.fake.sends(self.user.chat_id))
        await self.see(needle, since, "waiting")
        await self._done(f"unprompted {needle!r}", sent)


def _read_logs(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(folder.glob("bot*.log")))


@asynccontextmanager
async def journey(db: Database, tmp_path: Path) -> AsyncIterator[Journey]:
    async with emulator() as (fake, base_url):
        # Beyond these the bot would get 429s: 30/s for the bot, short bursts in one chat.
        fake.enforce_global_rate(TELEGRAM_GLOBAL_LIMIT)
        fake.enforce_chat_rate(max_per_window=BURST_PER_CHAT, window=1.0)
        person = Journey(fake, base_url, db, tmp_path, fake.user(4242, "Alex"))
        try:
            async with asyncio.timeout(120):
                yield person
        finally:
            if person.bot is not None:
                await person.bot.stop()
        logs = _read_logs(tmp_path)
        assert "Traceback" not in logs and " ERROR " not in logs, logs[-4000:]
        assert fake.count_429 == 0
        assert fake.max_rate(window=1.0) <= TELEGRAM_GLOBAL_LIMIT
        rejected = person.rejected + person.calls_failed()
        assert not rejected, "\n".join(f"{m} {p} {d}" for m, p, d in rejected)
        for someone in (person, *person.others):
            heavy = [(what, n) for what, n in someone.bursts if n > BURST_PER_CHAT]
            assert not heavy, f"too many sends into one chat for one action: {heavy}"
            assert fake.max_rate(window=1.0, chat_id=someone.user.chat_id) <= BURST_PER_CHAT
            assert len(someone.user.callback_answers()) == someone.taps  # no button left spinning


def _expect_step(step: Step | None) -> str:
    """What the live card says once it shows `step` (None: the pain question after the last)."""
    if step is None:
        return "after the session"
    if step.first_side:
        return exercises_view.header(EN, step.exercise)  # "Exercise 2 of 7 · Piriformis stretch, lying"
    return "↔ Other side"


def _card_shows(j: Journey, step: Step) -> str:
    """The newest message is the live card for `step`, with its illustration attached; the
    illustration's file_id."""
    card = j.user.last_bot_message()
    assert _expect_step(step) in (card.text or ""), card.text
    assert card.attachment is not None and card.attachment.kind == "animation", card
    assert card.attachment.filename == f"{step.exercise.key}.gif"
    assert "✅ Done" in card.buttons and "🛑 Stop - it hurts" in card.buttons
    return card.attachment.file_id


async def _onboard(j: Journey, city: str) -> None:
    name = j.user.first_name
    await j.say("/start", f"Hi {name}! I'm Stretch Coach")
    await j.tap("Let's go", "not a doctor")
    await j.tap("I have seen or will see a clinician", f"Question 1 of {len(QUESTIONS)}:")
    for i in range(len(QUESTIONS)):
        following = f"Question {i + 2} of {len(QUESTIONS)}:" if i + 1 < len(QUESTIONS) else "Which time zone"
        await j.tap("No", following)
    assert j.user.reply_keyboard() is not None  # "share my location" under the input field
    await j.say(city, "What time should I remind you")
    assert "Time zone set" in (j.user.bot_messages()[-2].text or "")
    assert j.user.reply_keyboard() is None
    await j.tap(AT_EIGHT, "Do you have a resistance band?")
    await j.tap("Yes, I have a band", "Do your first session now")


async def _session(j: Journey, pain_before: str, pain_after: str, *, timer: bool) -> set[str]:
    """A whole session, every step's card showing its illustration (their file_ids returned);
    optionally with a hold timer on the first step."""
    await j.tap("▶️ Start now", "before we start")
    await j.tap(pain_before, _expect_step(STEPS[0]))
    shown = {_card_shows(j, STEPS[0])}
    assert "Left knee to chest" in j.last()
    buttons = j.user.last_bot_message().buttons
    assert buttons == ["⏱ Start 20 s timer", "✅ Done", "Skip", "🛑 Stop - it hurts"]
    if timer:
        # The hold timer runs out by itself (20 s at TIMER_SCALE 0.02) and says what to do next.
        await j.hold("⏱ Start 20 s timer", 20, "change sides")
    else:
        await j.tap("✅ Done", _expect_step(STEPS[1]))
    for step, following in zip(STEPS[1:], [*STEPS[2:], None], strict=True):
        shown.add(_card_shows(j, step))
        await j.tap("✅ Done", _expect_step(following))
    await j.tap(pain_after, "Session finished")
    return shown


async def _first_session(j: Journey) -> None:
    await _session(j, "3", "2", timer=True)
    summary = j.last()
    assert "✅ done: 7   ⏭ skipped: 0   🛑 stopped: 0" in summary and "Pain: 3 → 2" in summary
    assert "Day 1 of 21 done" in summary
    # The illustrations were uploaded once each, as the cards first needed them.
    assert sorted(u.filename for u in j.fake.uploads) == sorted(f"{e.key}.gif" for e in ROUTINE)


async def _progress(j: Journey) -> None:
    await j.say("/progress", "Your practice days")
    report = j.user.bot_messages()[-2].text or ""
    assert "Day 1 of 21 done" in report and "1 session completed" in report, report
    assert "first rating 3.0/10" in report and "first rating 2.0/10" in report, report
    picture = j.user.last_bot_message()
    assert picture.attachment is not None and picture.attachment.kind == "photo"
    assert picture.attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(picture.attachment.data) > 5_000


async def _second_person_uploads_nothing(j: Journey, city: str) -> None:
    """Bob's whole session reuses what Alex's uploaded: every card by file_id, no new upload."""
    uploaded = {u.file_id for u in j.fake.uploads}
    uploads = len(j.fake.uploads)
    bob = j.meet(j.fake.user(4343, "Bob"))
    await _onboard(bob, city)
    shown = await _session(bob, "5", "4", timer=False)
    assert "Pain: 5 → 4" in bob.last()
    assert len(j.fake.uploads) == uploads
    assert len(shown) == len(ROUTINE) and shown <= uploaded


async def _reminder_snooze_and_start(j: Journey, zone: str) -> None:
    mark = j.fake.seq
    due = await j.restart_at_next_reminder()
    local_due = due.astimezone(ZoneInfo(zone))
    assert (
        local_due.time() == time(8, 0)
        and local_due.date() > datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    )
    await j.unprompted("Time to stretch", since=mark)
    reminder = j.user.last_bot_message()
    assert "Day 2 of 21" in (reminder.text or "")
    assert reminder.buttons == ["▶️ Start now", "⏰ In 30 min", "⏰ In 1 hour", "Skip today", "😣 Flare-up"]
    await j.tap("⏰ In 30 min", "remind you again at 8:30")
    assert "Snoozed 30 min" in (j.user.chat()[-2].text or "")  # the reminder itself, settled
    mark = j.fake.seq
    snoozed = await j.restart_at_next_reminder()
    assert timedelta(minutes=29) < snoozed - due < timedelta(minutes=31)
    await j.unprompted("Here's the reminder you snoozed", since=mark)
    await j.tap("▶️ Start now", "before we start")
    await j.tap("4", _expect_step(STEPS[0]))
    _card_shows(j, STEPS[0])
    await j.tap("✅ Done", _expect_step(STEPS[1]))
    _card_shows(j, STEPS[1])


async def _export_delete_and_start_again(j: Journey) -> None:
    await j.say("/export", "All the data I keep about you")
    document = j.user.last_bot_message().attachment
    assert document is not None and document.kind == "document"
    assert document.filename == "stretch-coach-data.json"
    data = json.loads(document.data)
    assert data["format"] == "stretch-coach-export" and data["profile"]["telegram_id"] == 4242
    sessions = data["sessions"]
    assert [s["status"] for s in sessions] == ["completed", "open"]
    assert len(sessions[0]["results"]) == len(STEPS) and len(sessions[1]["results"]) == 1
    assert [s["pain_before"] for s in sessions] == [3, 4]
    assert {r["kind"] for r in data["reminders"]} == {"daily", "snooze"}

    await j.say("/delete", "Are you sure?")
    await j.tap("Yes, erase everything", "everything about you is erased")
    async with j.db.session() as s:
        alex = await s.scalar(select(User.id).where(User.telegram_id == 4242))
        assert alex is None
        assert await s.scalar(select(func.count()).select_from(User)) == 1  # Bob stays
        assert await s.scalar(select(func.count()).select_from(PracticeSession)) == 1
        assert await s.scalar(select(func.count()).select_from(ExerciseResult)) == len(STEPS)
    await j.say("/start", "Hi Alex! I'm Stretch Coach")
    assert j.user.last_bot_message().buttons == ["Let's go"]
    await j.tap("Let's go", "not a doctor")


async def test_the_whole_journey(db: Database, tmp_path: Path) -> None:
    """Onboarding, a full session with a hold timer and an illustration on every step, progress,
    a second person's session that uploads nothing new, a reminder, snooze, start from the
    reminder, export, delete, and /start as a new person; within Telegram's limits throughout."""
    city, zone = pick_city(datetime.now(UTC))
    async with journey(db, tmp_path) as j:
        await j.start()
        await _onboard(j, city)
        await _first_session(j)
        await _progress(j)
        await _second_person_uploads_nothing(j, city)
        await _reminder_snooze_and_start(j, zone)
        await _export_delete_and_start_again(j)


async def test_waiting_for_the_first_reminder_then_skipping(db: Database, tmp_path: Path) -> None:
    """No session on day one: the reminder still comes, and "Skip today" moves it to tomorrow."""
    city, zone = pick_city(datetime.now(UTC))
    async with journey(db, tmp_path) as j:
        await j.start()
        await _onboard(j, city)
        await j.tap("Wait for my reminder", "I'll remind you at 8:00")
        await j.say("/progress", "send /stretch for your first session")
        assert "Day 1 of 21" in j.last() and "0 sessions completed" in j.last()
        assert j.user.last_bot_message().attachment is None  # no picture before a session
        mark = j.fake.seq
        due = await j.restart_at_next_reminder()
        await j.unprompted("Time to stretch 🧘 Day 1 of 21", since=mark)
        await j.tap("Skip today", "pick up tomorrow")
        await j.stop()
        tomorrow = (await j.next_reminder_at()).astimezone(ZoneInfo(zone))
        assert tomorrow.time() == time(8, 0)
        assert tomorrow.date() == due.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
