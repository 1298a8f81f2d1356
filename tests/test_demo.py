"""`python -m bot demo`: a short chat through stdin/stdout of the real command."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.domain.screening import QUESTIONS
from tests.botproc import ROOT
from tgemu import tiny_png
from tgemu.core import Attachment
from tgemu.demo import describe, numbering

STEP_TIMEOUT = 10.0


class Console:
    """The demo as a subprocess; `send` types a line, `expect` waits for printed text."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""
        self._seen = 0  # expectations only look at output after the previous match

    @classmethod
    async def start(cls, *args: str) -> Console:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
        env.pop("BOT_TOKEN", None)  # the demo needs none
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "demo",
            *args,
            cwd=str(ROOT),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def expect(self, needle: str, timeout: float = STEP_TIMEOUT) -> str:
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while needle not in self.output[self._seen :]:
                    chunk = await self.process.stdout.read(4096)
                    if not chunk:
                        break
                    self.output += chunk.decode("utf-8", errors="replace")
        except TimeoutError:
            pass
        found = self.output.find(needle, self._seen)
        assert found >= 0, f"no {needle!r} in the demo's output:\n{self.output[-3000:]}"
        shown = self.output[self._seen : found + len(needle)]
        self._seen = found + len(needle)
        return shown

    async def send(self, line: str, expect: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.expect(expect)

    async def finish(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                self.output += (await self.process.stdout.read()).decode("utf-8", errors="replace")
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the demo did not end:\n{self.output[-3000:]}") from None


async def test_a_short_journey_in_the_terminal() -> None:
    console = await Console.start("--fast", "40")
    try:
        async with asyncio.timeout(30):
            banner = await console.expect("Start with /start.")
            assert "Hold timers run 40x faster" in banner and "loc " in banner
            await console.send("/start", "[1] Let's go")
            await console.send("1", "not a doctor")
            total = len(QUESTIONS)
            await console.send("1", f"Question 1 of {total}:")
            for question in range(2, total + 1):
                shown = await console.send("2", f"Question {question} of {total}:")
                assert "👆 No" in shown
            await console.send("9", "(no button [9] on the latest message)")
            await console.send("2", "(keyboard: 📍 Share my location")
            await console.send("Berlin", "Time zone set: Europe/Berlin")
            times = await console.expect("[10] 9:00")
            assert "[3] 8:00" in times
            await console.send("3", "Reminders at 8:00")
            await console.send("1", "[1] ▶️ Start now")  # "Yes, I have a band"
            await console.send("1", "[0]  [1]  [2]")  # start now: the 0-10 pain scale
            step = await console.send("3", "[1] ⏱ Start 20 s timer  [2] ✅ Done")
            assert "Pain before: 3/10" in step and "Exercise 1 of 7 · Knees to chest" in step
            assert "[animation: knees_to_chest, " in step and "Left knee to chest" in step
            shown = await console.send("2", "↔ Other side: Right knee to chest")
            assert "👆 ✅ Done" in shown
            await console.expect("[4] 🛑 Stop - it hurts")
            # The 20 s hold takes half a second at 40x; the bot edits the countdown and moves on.
            await console.send("1", "10 seconds to go")
            await console.expect("Time! Release slowly. Next exercise:")
            await console.expect("Exercise 2 of 7")
            await console.send("/cancel", "Session ended.")
            await console.send("7", "(there are no buttons to tap")
            await console.send("quit", "Bye! Nothing was kept.")
        assert await console.finish() == 0
        assert "Traceback" not in console.output and "ERROR" not in console.output
    finally:
        if console.process.returncode is None:
            console.process.kill()
            await console.process.wait()


async def test_end_of_input_ends_the_demo_cleanly() -> None:
    console = await Console.start()
    try:
        await console.expect("Hold timers run 10x faster")
        await console.send("/help", "/stretch - Start or continue today's session")
        assert await console.finish() == 0
        assert console.output.rstrip().endswith("Bye! Nothing was kept.")
    finally:
        if console.process.returncode is None:
            console.process.kill()
            await console.process.wait()


def test_attachments_and_button_numbers_read_naturally() -> None:
    png = tiny_png(400, 300)
    png += b"\0" * (72 * 1024 - len(png))
    assert describe(Attachment("photo", "f1", png, "chart.png", "image/png")) == "photo: 72 KB PNG"
    doc = Attachment("document", "f2", b"{}" * 1500, "data.json", "application/json")
    assert describe(doc) == "document: data.json, 3 KB JSON"
    from bot.illustrations import IllustrationKey, render

    gif = render(IllustrationKey("bridge"))
    line = describe(Attachment("animation", "f3", gif.data, gif.filename, "image/gif"))
    assert line == f"animation: bridge, {gif.duration_s:.1f} s, {round(gif.size / 1024)} KB"
    assert numbering(["Yes", "No"]) == [1, 2]
    assert numbering([str(n) for n in range(11)]) == list(range(11))  # the pain scale types as-is
