"""`python -m bot demo`: chat with the real bot in the terminal, with no token and no network.

The real Application (handlers, JobQueue, reminder dispatch, rate limiter) runs against the
in-process Bot API emulator through EmulatorRequest, with a throw-away SQLite database.
Hold timers run `speedup` times faster. Bot messages are printed as they arrive; edits are
shown as updates; inline buttons are numbered and the person types a number to tap one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from tgemu import EmulatorRequest, FakeTelegram, TelegramUser
from tgemu.core import Attachment, StoredMessage

DEMO_TOKEN = "123456:DEMOtokenDEMOtokenDEMOtokenDEMOtoken"  # well-formed; it never leaves this process
DEMO_USER_ID = 1001
BANNER = """\
Stretch Coach demo: you are chatting with the real bot; Telegram is emulated on this machine.
  /start, /stretch, /progress, /help ...  send a command
  1, 2, 3 ...                             tap the button shown as [1], [2], [3] (latest buttons)
  loc 52.52 13.40                         share a location (latitude longitude)
  anything else                           send it as a text message
  quit (or Ctrl-D)                        leave; the demo's database is thrown away
Hold timers run {speed:g}x faster. Start with /start.
"""


class Transcript:
    """Prints what changed in the chat since the last look: new messages, edits, toasts."""

    def __init__(self, fake: FakeTelegram, user: TelegramUser, out: TextIO) -> None:
        self.fake, self.user, self.out = fake, user, out
        self.shown: dict[int, tuple[str, list[str]]] = {}
        self.answers = 0
        self.keyboard: list[list[str]] | None = None
        self.seq = -1

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def changed(self) -> bool:
        return self.fake.seq != self.seq or len(self.fake.callback_answers) != self.answers

    def show(self) -> None:
        self.seq = self.fake.seq
        for msg in list(self.fake.chats[self.user.chat_id].messages.values()):
            if msg.from_bot:
                self._message(msg)
        for answer in self.fake.callback_answers[self.answers :]:
            if answer.get("text"):
                self._print(f"   (notice: {answer['text']})")
        self.answers = len(self.fake.callback_answers)
        keyboard = self.user.reply_keyboard()
        if keyboard != self.keyboard:
            self.keyboard = keyboard
            if keyboard:
                keys = "  |  ".join(label for row in keyboard for label in row)
                self._print(f"   (keyboard: {keys}; type one, or: loc <lat> <lon>)")

    def _message(self, msg: StoredMessage) -> None:
        text = msg.payload.get("text", msg.payload.get("caption")) or ""
        buttons = _buttons(msg)
        before = self.shown.get(msg.message_id)
        if before == (text, buttons):
            return
        self.shown[msg.message_id] = (text, buttons)
        if before is None:
            files = " ".join(f"[{describe(a)}]" for a in msg.attachments)
            self._print("\n" + _indent("🤖 ", "\n".join(part for part in (files, text) if part)))
        elif text != before[0]:
            appended = text.startswith(before[0])
            self._print(_indent("   ✎ ", text[len(before[0]) :].strip() if appended else text))
        if buttons:
            self._print(
                "   "
                + "  ".join(
                    f"[{n}] {label}" if str(n) != label else f"[{n}]"
                    for n, label in zip(numbering(buttons), buttons, strict=True)
                )
            )


def _indent(lead: str, text: str) -> str:
    lines = text.splitlines() or [""]
    return "\n".join([lead + lines[0], *(("   " + line).rstrip() for line in lines[1:])])


def numbering(labels: list[str]) -> list[int]:
    """What the person types for each button: 1, 2, 3 ... or, on a 0-10 scale, the value itself."""
    if all(label.isdigit() for label in labels) and len(set(labels)) == len(labels):
        return [int(label) for label in labels]
    return list(range(1, len(labels) + 1))


def _buttons(msg: StoredMessage) -> list[str]:
    rows = (msg.payload.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def _gif_seconds(data: bytes) -> float | None:
    """A GIF's loop length, from its frame durations (None if it cannot be read)."""
    try:
        from PIL import Image, ImageSequence
    except ImportError:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return sum(frame.info.get("duration", 0) for frame in ImageSequence.Iterator(image)) / 1000
    except Exception:
        return None


def describe(attachment: Attachment) -> str:
    """ "photo: 72 KB PNG" for a photo, "document: data.json, 3 KB JSON" for a file,
    "animation: knees_to_chest, 2.8 s, 140 KB" for an exercise illustration."""
    data = attachment.data
    size = f"{max(1, round(len(data) / 1024))} KB"
    if attachment.kind == "animation":
        name = (attachment.filename or "animation").rsplit(".", 1)[0]
        seconds = _gif_seconds(data)
        length = f"{seconds:.1f} s, " if seconds else ""
        return f"animation: {name}, {length}{size}"
    kind = (
        "PNG"
        if data.startswith(b"\x89PNG")
        else "JPEG"
        if data.startswith(b"\xff\xd8")
        else (attachment.mime_type or "").rsplit("/", 1)[-1].upper() or "file"
    )
    name = f"{attachment.filename}, " if attachment.filename and attachment.kind != "photo" else ""
    return f"{attachment.kind}: {name}{size} {kind}"


def _latest_buttons(user: TelegramUser) -> tuple[int, list[tuple[str, str | None]]] | None:
    for message in reversed(user.bot_messages()):
        if message.keyboard:
            return message.message_id, [button for row in message.keyboard for button in row]
    return None


def handle(line: str, user: TelegramUser, say: TextIO) -> bool | None:
    """Turn one typed line into what the person does in Telegram.

    True: something went to the bot; None: nothing did (a hint was printed); False: leave.
    """
    line = line.strip()
    if line.lower() in ("quit", "exit"):
        return False
    if not line:
        return None
    if line.isdigit():
        latest = _latest_buttons(user)
        if latest is None:
            print("   (there are no buttons to tap; type a /command)", file=say, flush=True)
            return None
        message_id, buttons = latest
        numbers = numbering([label for label, _ in buttons])
        if int(line) not in numbers:
            print(f"   (no button [{line}] on the latest message)", file=say, flush=True)
            return None
        label, data = buttons[numbers.index(int(line))]
        if data is None:
            print(f"   (“{label}” opens a link; nothing to do here)", file=say, flush=True)
            return None
        print(f"👆 {label}", file=say, flush=True)
        user.press(data, message_id)
    elif line.startswith("/"):
        command, _, args = line.partition(" ")
        user.send_command(command, args)
    elif line.lower().startswith("loc "):
        try:
            latitude, longitude = (float(part) for part in line.split()[1:3])
        except ValueError:
            print("   (type: loc <latitude> <longitude>, e.g. loc 52.52 13.40)", file=say, flush=True)
            return None
        user.send_location(latitude, longitude)
    else:
        user.send_text(line)
    return True


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
    """Read stdin off the event loop; an empty string means end of input."""
    with contextlib.suppress(RuntimeError, ValueError):  # the loop or stdin closed on the way out
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")


async def _await_answer(fake: FakeTelegram, before: tuple[int, int]) -> None:
    """Let the bot answer (and go quiet) before the next line is read."""
    with contextlib.suppress(TimeoutError):
        await fake.wait_for(
            lambda: (fake.seq, len(fake.callback_answers)) != before, timeout=10, what="the bot's answer"
        )
        await fake.settle(quiet=0.2, timeout=10)


async def _printer(fake: FakeTelegram, transcript: Transcript) -> None:
    while True:
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(transcript.changed, timeout=3600, what="chat changes")
        transcript.show()


async def _demo(speedup: float, stdin: TextIO, out: TextIO, language: str) -> int:
    from bot.app import ALLOWED_UPDATES, Runtime
    from config import load_settings
    from db.engine import Database
    from db.migrate import upgrade

    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="stretch-demo-") as tmp:
        settings = load_settings(
            bot_token=DEMO_TOKEN,
            _env_file=None,
            timer_scale=1 / speedup,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}",
        )
        db = Database(settings.database_url)
        await upgrade(db)
        fake = FakeTelegram()
        user = fake.user(DEMO_USER_ID, "Sam", language_code=language)
        runtime = Runtime(
            settings, db, request=EmulatorRequest(fake), get_updates_request=EmulatorRequest(fake)
        )
        transcript = Transcript(fake, user, out)
        await runtime.start()
        assert runtime.app.updater is not None
        await runtime.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        printer = asyncio.create_task(_printer(fake, transcript))
        print(BANNER.format(speed=speedup).rstrip(), file=out, flush=True)
        interactive = stdin.isatty()
        lines: asyncio.Queue[str] = asyncio.Queue()
        # A daemon thread: a pending readline must not keep the process alive after Ctrl-C.
        threading.Thread(target=_read_lines, args=(stdin, loop, lines), daemon=True).start()
        try:
            while True:
                if interactive:
                    print("> ", end="", file=out, flush=True)
                line = await lines.get()
                if not interactive and line.strip():
                    print(f"> {line.strip()}", file=out, flush=True)  # a readable transcript
                before = (fake.seq, len(fake.callback_answers))
                sent = handle(line, user, out) if line else False
                if sent is False:
                    break
                if sent:
                    await _await_answer(fake, before)
                transcript.show()
        finally:
            printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printer
            await runtime.stop()
            await db.dispose()
            await fake.aclose()
    print("Bye! Nothing was kept.", file=out, flush=True)
    return 0


def run_demo(
    speedup: float = 10.0, stdin: TextIO | None = None, out: TextIO | None = None, language: str = "en"
) -> int:
    """Entry point of `python -m bot demo [--fast N] [--lang de]`; returns the process exit code."""
    if speedup <= 0:
        print("stretch-coach demo: --fast must be a positive number", file=sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(_demo(speedup, stdin or sys.stdin, out or sys.stdout, language))
    except KeyboardInterrupt:
        print("\nBye! Nothing was kept.")
        return 0
