"""Does a step with an illustration cost more than one without, once the file is uploaded?

    python bench/bench_card.py [--quick] [--users N] [--rounds N] [--delay MS]

Runs the production path in-process: the Runtime (inbox, worker, outbox, sender), the
emulator through PTB's request abstraction, answering every Bot API call after `--delay`
ms. Each round, every user taps through a whole session (13 steps) with illustrations,
and then again with illustrations switched off (text cards), interleaved so both see the
same machine. Illustrations are rendered and uploaded before timing starts, so "with"
measures the cached case: a step edits the card's caption, or swaps its animation by
file_id. The figure is the time from a tap to the moment the emulator shows the next
step (per tap: median and p95). Bounded: users x rounds x 2 sessions. Nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from bench import _common as c
from bot import renderers
from bot.app import Runtime
from bot.buttons import PainButton, PainWhen, StepAction, StepButton
from bot.domain.routine import STEPS
from config import load_settings
from db.engine import Database
from db.migrate import upgrade
from db.models import PracticeSession, User
from tgemu import EmulatorRequest, FakeTelegram, TelegramUser

TOKEN = "123456789:BENCHtokenBENCHtokenBENCHtokenBENCH"


async def _onboarded(runtime: Runtime, db: Database, fake: FakeTelegram, n: int) -> list[TelegramUser]:
    """Users past set-up, written straight to the database (set-up is not what is measured)."""
    from datetime import UTC, datetime, time

    from db.states import OnboardingStep, ScreenStatus

    users = [fake.user(10_000 + i, f"U{i}") for i in range(n)]
    async with db.session() as s:
        for person in users:
            s.add(
                User(
                    telegram_id=person.user_id,
                    chat_id=person.user_id,
                    first_name=person.first_name,
                    timezone="Europe/Berlin",
                    reminder_time=time(8),
                    onboarding_step=OnboardingStep.DONE,
                    screen_status=ScreenStatus.CLEAR,
                    has_band=True,
                    hold_seconds={},
                    locale="en",
                    created_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )
            )
    return users


async def _pump(runtime: Runtime, offset: list[int]) -> None:
    updates = await runtime.bot.get_updates(offset=offset[0], timeout=0)
    for update in updates:
        offset[0] = update.update_id + 1
    await asyncio.gather(*(runtime.worker.handle(u) for u in updates))


async def _session(
    runtime: Runtime, db: Database, fake: FakeTelegram, person: TelegramUser, offset: list[int]
) -> list[float]:
    """One session; the seconds from each step tap until the next card is on screen."""
    person.send_command("/stretch")
    await _pump(runtime, offset)
    await runtime.sender.drain()
    from sqlalchemy import select

    async with db.session() as s:
        sid = (
            await s.execute(
                select(PracticeSession.id)
                .join(User, User.id == PracticeSession.user_id)
                .where(User.telegram_id == person.user_id, PracticeSession.status == "open")
            )
        ).scalar_one()
    person.press_raw(PainButton(sid, PainWhen.BEFORE, 3).pack(), person.last_bot_message().message_id)
    await _pump(runtime, offset)
    await runtime.sender.drain()
    taps: list[float] = []
    for step in STEPS:
        card = person.last_bot_message()
        before = fake.seq
        started = time.perf_counter()
        person.press_raw(StepButton(sid, step.index, StepAction.DONE).pack(), card.message_id)
        await _pump(runtime, offset)
        await runtime.sender.drain()
        taps.append(time.perf_counter() - started)
        if fake.seq == before:
            raise RuntimeError("a tap changed nothing on screen")
    person.press_raw(PainButton(sid, PainWhen.AFTER, 3).pack(), person.last_bot_message().message_id)
    await _pump(runtime, offset)
    await runtime.sender.drain()
    return taps


async def run(users: int, rounds: int, delay_ms: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-card-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'card.sqlite3'}")
        await upgrade(db)
        fake = FakeTelegram()
        settings = load_settings(bot_token=TOKEN, database_url=db.url, _env_file=None)
        runtime = Runtime(
            settings, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake), jobs=False
        )
        people = await _onboarded(runtime, db, fake, users)
        await runtime.start()
        offset = [0]
        results: dict[str, list[float]] = {"with illustration": [], "text only": []}
        real_keys = renderers.media_keys
        try:
            # Warm-up: render and upload every illustration once (the cached case is measured).
            await _session(runtime, db, fake, people[0], offset)
            fake.response_delay = delay_ms / 1000
            for _ in range(rounds):
                for label, keys in (("with illustration", real_keys), ("text only", lambda: frozenset())):
                    renderers.media_keys = keys  # type: ignore[assignment]
                    taps = await asyncio.gather(*(_session(runtime, db, fake, p, offset) for p in people))
                    results[label].extend(t for session in taps for t in session)
        finally:
            renderers.media_keys = real_keys  # type: ignore[assignment]
            await runtime.stop()
            await db.dispose()
            await fake.aclose()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=20.0, help="Bot API answer delay, ms")
    args = parser.parse_args()
    users, rounds = (2, 1) if args.quick else (args.users, args.rounds)
    results = asyncio.run(run(users, rounds, args.delay))
    facts = c.machine()
    print(" · ".join(f"{k}: {v}" for k, v in facts.items()))
    print(
        f"\nstep tap to next card on screen: {users} users at once, {rounds} rounds, {args.delay:g} ms delay"
    )
    print("| card | taps | median ms | p95 ms |")
    print("|---|---|---|---|")
    medians = {}
    for label, values in results.items():
        ms = [v * 1000 for v in values]
        medians[label] = statistics.median(ms)
        print(f"| {label} | {len(ms)} | {medians[label]:.1f} | {c.percentile(ms, 95):.1f} |")
    ratio = medians["with illustration"] / medians["text only"]
    print(f"\nwith / without: {ratio:.2f}x (target: no more than 1.0x + noise, i.e. <= 1.10x)")


if __name__ == "__main__":
    main()
