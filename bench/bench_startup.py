"""Benchmark start-up: spawn -> first getUpdates, `python -m bot` against a bare PTB echo bot.

Both run as separate processes against the same kind of emulator served over HTTP on
127.0.0.1 (tests/botproc.py: TELEGRAM_BASE_URL points the bot at it). The clock starts just
before the process is spawned and stops when the emulator *receives* the first getUpdates
(its handler is wrapped, so a parked long poll counts at once). The real bot runs on
SQLite twice per round: on a database already at the head revision (a restart, the common
case) and on a fresh file (first start: it creates the schema). Rounds are interleaved
(ours-migrated, echo, ours-fresh, echo; the order rotates each round), medians reported.

    python bench/bench_startup.py [--quick] [--rounds N] [--baseline GIT_REF]

--baseline also runs `python -m bot` from a `git archive` of GIT_REF (same virtualenv,
interleaved in the same rounds): before/after numbers measured side by side.

Both start from byte-compiled code, as an installed bot does: the script runs `compileall`
on the project first (this machine sets PYTHONDONTWRITEBYTECODE=1, so otherwise every start
of `python -m bot` would compile its ~100 modules from source, while PTB's come compiled).

Target (issue 14): first getUpdates within 2.5x of the bare echo bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing

from bench import _common as c
from tests.botproc import TOKEN, BotProcess, emulator, start_bot
from tgemu import FakeTelegram, file_url

TARGET = 2.5
TIMEOUT = 60.0
ECHO = Path(__file__).resolve().parent / "echo_bot.py"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch_first_poll(fake: FakeTelegram, pid: list[int]) -> asyncio.Future[tuple[float, float]]:
    """Resolved with (perf_counter(), the process's CPU seconds) when the first getUpdates arrives."""
    seen: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
    inner = fake._methods["getupdates"]

    async def hooked(params: dict[str, Any], files: Any) -> Any:
        if not seen.done():
            now = time.perf_counter()
            seen.set_result((now, cpu_seconds(pid[0]) if pid else float("nan")))
        return await inner(params, files)

    fake._methods["getupdates"] = hooked
    return seen


async def start_echo(base_url: str, workdir: Path, name: str = "echo") -> BotProcess:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": base_url,
        "TELEGRAM_BASE_FILE_URL": file_url(base_url),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / f"{name}.log"
    with log_path.open("ab") as handle:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ECHO), cwd=str(c.ROOT), env=env, stdout=handle, stderr=handle
        )
    return BotProcess(process, log_path, env)


Spawn = Callable[[str, Path], Awaitable[BotProcess]]


async def time_to_first_poll(spawn: Spawn) -> tuple[float, float]:
    """Wall and CPU seconds from spawn to the first getUpdates (fresh emulator); stops the process."""
    with tempfile.TemporaryDirectory(prefix="stretch-bench-start-") as tmp:
        async with emulator() as (fake, base_url):
            pid: list[int] = []
            seen = watch_first_poll(fake, pid)
            t0 = time.perf_counter()
            proc = await spawn(base_url, Path(tmp))
            pid.append(proc.process.pid)
            try:
                done, _ = await asyncio.wait(
                    {seen, asyncio.ensure_future(proc.process.wait())},
                    timeout=TIMEOUT,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if seen not in done:
                    raise RuntimeError(f"no getUpdates within {TIMEOUT}s:\n{proc.log()[-3000:]}")
                at, cpu = seen.result()
                elapsed = at - t0
            finally:
                await proc.stop()
            if "Traceback" in proc.log():
                raise RuntimeError(proc.log()[-3000:])
    return elapsed, cpu


def ours(url_for: Callable[[Path], str], root: Path | None = None) -> Spawn:
    """`python -m bot` as tests/botproc.py starts it; from `root` (a baseline checkout) if given."""

    async def spawn(base_url: str, workdir: Path) -> BotProcess:
        if root is None:
            return await start_bot(base_url, url_for(workdir), workdir, LOG_LEVEL="WARNING")
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": url_for(workdir),
            "TELEGRAM_BASE_URL": base_url,
            "TELEGRAM_BASE_FILE_URL": file_url(base_url),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        log_path = workdir / "baseline.log"
        with log_path.open("ab") as handle:  # cwd first on sys.path: the checkout's bot, not ours
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=str(root), env=env, stdout=handle, stderr=handle
            )
        return BotProcess(process, log_path, env)

    return spawn


def compile_project(root: Path) -> None:
    """Write the .pyc files an install would have (PYTHONDONTWRITEBYTECODE does not stop compileall)."""
    dirs = [str(root / d) for d in ("bot", "db", "config", "tgemu") if (root / d).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=True, stdout=subprocess.DEVNULL)


def export(ref: str, into: Path) -> Path:
    """`git archive ref` unpacked into `into`; byte-compiled once so no round pays for it."""
    archive = subprocess.run(["git", "archive", ref], cwd=c.ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    compile_project(into)
    return into


async def main_async(args: argparse.Namespace) -> None:
    rounds = args.rounds or (2 if args.quick else 7)
    compile_project(c.ROOT)
    print(
        f"bench_startup: spawn -> first getUpdates, {rounds} interleaved rounds; {c.load_note()}", flush=True
    )
    samples: dict[str, list[float]] = {"ours, migrated db": [], "ours, fresh db": [], "echo": []}
    cpu: dict[str, list[float]] = {k: [] for k in samples}

    def fresh(tmp: Path) -> str:
        return f"sqlite+aiosqlite:///{tmp / 'fresh.sqlite3'}"

    with tempfile.TemporaryDirectory(prefix="stretch-bench-baseline-") as base_dir:
        async with c.sqlite_database("startup") as migrated:
            kinds: list[tuple[str, Spawn]] = [
                ("ours, migrated db", ours(lambda _: migrated)),
                ("echo", start_echo),
                ("ours, fresh db", ours(fresh)),
                ("echo", start_echo),
            ]
            if args.baseline:
                root = export(args.baseline, Path(base_dir))
                before_migrated, before_fresh = f"{args.baseline}, migrated db", f"{args.baseline}, fresh db"
                samples |= {before_migrated: [], before_fresh: []}
                cpu |= {before_migrated: [], before_fresh: []}
                kinds[2:2] = [(before_migrated, ours(lambda _: migrated, root))]
                kinds.append((before_fresh, ours(fresh, root)))
            await time_to_first_poll(kinds[0][1])  # warm the OS file cache: the first spawn is slower
            await time_to_first_poll(start_echo)
            for r in range(rounds):
                shift = r % len(kinds)
                for name, spawn in kinds[shift:] + kinds[:shift]:
                    wall, used = await time_to_first_poll(spawn)
                    samples[name].append(wall)
                    cpu[name].append(used)
                done = ", ".join(f"{k} {v[-1]:.2f}" for k, v in samples.items())
                print(f"  .. round {r + 1}: {done}", flush=True)
    echo, echo_cpu = c.median(samples["echo"]), c.median(cpu["echo"])
    rows = []
    for name, values in samples.items():
        ratio = c.median(values) / echo
        verdict = "-" if name == "echo" else ("met" if ratio <= TARGET else "MISSED")
        cpu_med = c.median(cpu[name])
        rows.append(
            (
                name,
                len(values),
                f"{c.median(values):.3f}",
                f"{min(values):.3f}-{max(values):.3f}",
                f"{ratio:.2f}x",
                verdict,
                f"{cpu_med:.2f}",
                f"{cpu_med / echo_cpu:.2f}x",
            )
        )
    print()
    title = "spawn -> first getUpdates received by the emulator (seconds, SQLite); CPU = the process's own"
    headers = (
        "process",
        "n",
        "wall med s",
        "range",
        "vs echo",
        f"target <= {TARGET}x",
        "CPU med s",
        "CPU vs echo",
    )
    print(c.table(title, headers, rows))
    print(f"\n  {c.load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--rounds", type=int, default=0, help="rounds (default 7, --quick 2)")
    parser.add_argument("--baseline", default="", help="also measure this git ref's bot, interleaved")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
