"""Long polling that stores before it confirms.

Telegram counts an update as delivered when the next getUpdates asks for a higher offset.
PTB's Updater asks for it right after handing the last batch to its queue, before its
handlers are done; so here getUpdates first makes sure the last batch is stored in the
inbox (bot/pipeline/intake.py: mostly by the worker, in the transaction that handles each
update). If the database cannot take them, the call fails as a network error before it
reaches Telegram: the Updater backs off and asks again, the offset still unsent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import ExtBot

from bot.pipeline.intake import Intake

# Told how each getUpdates ended: None when Telegram answered, else Telegram's error.
PollObserver = Callable[[TelegramError | None], None]


class InboxBot(ExtBot[None]):
    """ExtBot whose getUpdates confirms only what is stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self.intake: Intake | None = None
            self.observe_poll: PollObserver | None = None
            # Each fetched update's JSON as Telegram sent it, by update id, until taken in.
            self._raw: dict[int, str] = {}

    def set_intake(self, intake: Intake) -> None:
        with self._unfrozen():
            self.intake = intake

    def set_poll_observer(self, observer: PollObserver) -> None:
        """Health and the second-poller check (bot/app.py) see every getUpdates outcome."""
        with self._unfrozen():
            self.observe_poll = observer

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            # The inbox keeps the JSON Telegram sent: dumping the decoded dicts here took
            # 11 us for a button press, rebuilding them from the parsed Update 175 us.
            self._raw.clear()
            for raw in result:
                if isinstance(raw, dict) and isinstance(raw.get("update_id"), int):
                    self._raw[raw["update_id"]] = json.dumps(raw, ensure_ascii=False)
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        if self.intake is not None:
            try:
                await self.intake.settle()
            except Exception as exc:
                raise NetworkError(
                    f"could not store updates ({type(exc).__name__}); not confirming them yet"
                ) from exc
        try:
            updates = await super().get_updates(*args, **kwargs)
        except TelegramError as exc:
            if self.observe_poll is not None:
                self.observe_poll(exc)
            raise
        if self.observe_poll is not None:
            self.observe_poll(None)
        if updates and self.intake is not None:
            self.intake.fetched(updates, [self._raw.get(u.update_id) for u in updates])
        self._raw.clear()
        return updates


@dataclass
class PollHealth:
    """How long polling has gone well, for readiness, /metrics and the second-poller check.

    Times are monotonic seconds; `last_ok_unix` is wall-clock for /metrics.
    """

    started: float | None = None
    last_ok: float | None = None
    last_ok_unix: float | None = None
    ok: int = 0
    errors: int = 0
    conflicts: int = 0
    # Set while getUpdates keeps meeting 409 Conflict (another poller or a webhook).
    conflict_since: float | None = None
    conflicts_in_a_row: int = 0
    newcomer: bool = False
