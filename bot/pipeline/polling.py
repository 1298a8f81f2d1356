"""Long polling that stores before it confirms.

Telegram counts an update as delivered when the next getUpdates asks for a higher offset.
PTB's Updater asks for it right after handing updates to its queue, before any handler
has run; so here getUpdates itself stores what it fetched in the inbox (and commits)
before returning. If the database cannot take them, the call fails as a network error:
the Updater backs off and fetches the same, still unconfirmed updates again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import ExtBot

# Stores updates with their payloads (the JSON Telegram sent for each, in the same order).
StoreUpdates = Callable[[Sequence[Update], Sequence[str | None]], Awaitable[None]]
# Told how each getUpdates ended: None when Telegram answered, else Telegram's error.
PollObserver = Callable[[TelegramError | None], None]


class InboxBot(ExtBot[None]):
    """ExtBot whose getUpdates returns only what is already stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self.store_updates: StoreUpdates | None = None
            self.observe_poll: PollObserver | None = None
            # Each fetched update's JSON as Telegram sent it, by update id, until stored.
            self._raw: dict[int, str] = {}

    def set_store(self, store: StoreUpdates) -> None:
        with self._unfrozen():
            self.store_updates = store

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
        try:
            updates = await super().get_updates(*args, **kwargs)
        except TelegramError as exc:
            if self.observe_poll is not None:
                self.observe_poll(exc)
            raise
        if self.observe_poll is not None:
            self.observe_poll(None)
        if updates and self.store_updates is not None:
            try:
                await self.store_updates(updates, [self._raw.get(u.update_id) for u in updates])
            except Exception as exc:
                raise NetworkError(
                    f"could not store updates ({type(exc).__name__}); fetching them again"
                ) from exc
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
