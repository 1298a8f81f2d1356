"""What every handler needs, stored once in `application.bot_data`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from config import Settings
from db.engine import Database

DEPS_KEY = "deps"


def _system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    db: Database
    # Replaceable so tests can drive "today" and reminders without waiting.
    clock: Callable[[], datetime] = field(default=_system_now)

    def now(self) -> datetime:
        return self.clock() + timedelta(seconds=self.settings.clock_offset_seconds)


def get_deps(context: Any) -> Deps:
    deps: Deps = context.application.bot_data[DEPS_KEY]
    return deps
