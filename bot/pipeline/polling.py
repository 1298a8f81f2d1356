"""Long polling that stores before it confirms.

Telegram counts an update as delivered when the next getUpdates asks for a higher offset.
PTB's Updater asks for it right after handing updates to its queue, before any handler
has run; so here getUpdates itself stores what it fetched in the inbox (and commits)
before returning. If the database cannot take them, the call fails as a network error:
the Updater backs off and fetches the same, still unconfirmed updates again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import ExtBot

StoreUpdates = Callable[[Sequence[Update]], Awaitable[None]]


class InboxBot(ExtBot[None]):
    """ExtBot whose getUpdates returns only what is already stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self.store_updates: StoreUpdates | None = None

    def set_store(self, store: StoreUpdates) -> None:
        with self._unfrozen():
            self.store_updates = store

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates and self.store_updates is not None:
            try:
                await self.store_updates(updates)
            except Exception as exc:
                raise NetworkError(
                    f"could not store updates ({type(exc).__name__}); fetching them again"
                ) from exc
        return updates
