"""Illustrations in Telegram: uploaded once per bot, then sent by file_id.

The first send of an illustration uploads the rendered file; the file_id Telegram returns
is kept in memory and in `media_files` (per bot, as file ids belong to a bot), so later
sends, other processes and restarts never upload it again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest

from bot.renderers import Illustration, illustration
from bot.services.store import upsert
from db.engine import Database
from db.models import MediaFile, utcnow

log = logging.getLogger(__name__)


def is_stale_file(exc: BadRequest) -> bool:
    text = str(exc).lower()
    return "wrong file identifier" in text or "file reference" in text or "wrong remote file" in text


class MediaStore:
    def __init__(self, db: Database, bot: Bot) -> None:
        self.db = db
        self.bot = bot
        self.uploads = 0
        self._ids: dict[str, str | None] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._writes: dict[str, str] = {}

    def available(self, key: str) -> bool:
        from bot.renderers import has_illustration

        return has_illustration(key)

    async def file_id(self, key: str) -> str | None:
        if key in self._ids:
            return self._ids[key]
        async with self.db.session() as s:
            found = await s.scalar(
                select(MediaFile.file_id).where(MediaFile.bot_id == self.bot.id, MediaFile.media_key == key)
            )
        if found is not None or not self.available(key):
            # Nothing to look up again for an illustration this code cannot draw: no process
            # of it uploads one (text cards would otherwise ask the database on every step).
            self._ids[key] = found
        return found

    async def _rendered(self, key: str) -> Illustration | None:
        return await illustration(key)

    async def send(
        self, chat_id: int, key: str, caption: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        """Send the illustration with its caption; upload it only if no file_id is known.

        A file_id Telegram no longer accepts (the bot's files were reset) is forgotten and
        the file uploaded again, once."""
        known = await self.file_id(key)
        if known is not None:
            try:
                return await self.bot.send_animation(chat_id, known, caption=caption, reply_markup=markup)
            except BadRequest as exc:
                if not is_stale_file(exc):
                    raise
                log.warning("illustration %s: Telegram no longer knows its file_id; uploading again", key)
                await self.forget(key)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            known = await self.file_id(key)
            if known is not None:
                return await self.bot.send_animation(chat_id, known, caption=caption, reply_markup=markup)
            made = await self._rendered(key)
            if made is None:
                return await self.bot.send_message(chat_id, caption, reply_markup=markup)
            message = await self.bot.send_animation(
                chat_id,
                InputFile(made.data, filename=made.filename),
                caption=caption,
                reply_markup=markup,
                width=made.width,
                height=made.height,
                duration=max(1, round(made.duration)),
            )
            self.uploads += 1
            self._learn(key, message)
            return message

    async def upload_id(self, key: str) -> str | None:
        """A file_id for editMessageMedia; uploading needs a message, so None if unknown."""
        return await self.file_id(key)

    async def forget(self, key: str) -> None:
        self._ids.pop(key, None)
        self._writes.pop(key, None)
        async with self.db.session() as s:
            await s.execute(
                delete(MediaFile).where(MediaFile.bot_id == self.bot.id, MediaFile.media_key == key)
            )

    def _learn(self, key: str, message: Message) -> None:
        media: Any = message.animation or message.document or message.video
        if media is None:
            return
        self._ids[key] = media.file_id
        self._writes[key] = media.file_id

    def pending(self) -> dict[str, str]:
        writes, self._writes = self._writes, {}
        return writes

    def requeue(self, writes: dict[str, str]) -> None:
        for key, value in writes.items():
            self._writes.setdefault(key, value)

    async def write(self, s: AsyncSession, writes: dict[str, str]) -> None:
        if writes:
            rows = [
                {"bot_id": self.bot.id, "media_key": k, "file_id": v, "uploaded_at": utcnow()}
                for k, v in writes.items()
            ]
            await upsert(s, MediaFile, rows, ("bot_id", "media_key"))
