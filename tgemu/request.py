"""PTB request backend that talks to :class:`FakeTelegram` in-process (no sockets).

It goes through PTB's own ``BaseRequest`` machinery, so status codes become the very same
``telegram.error`` exceptions (BadRequest, RetryAfter, Forbidden...) as in production.
Parameters are taken in their wire form (``json_parameters``) so the emulator parses
exactly what an HTTP request would carry.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from tgemu.core import FakeTelegram

_API_PATH = re.compile(r"/bot(?P<token>[^/]*)/(?P<method>[^/]+)$")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]*)/(?P<path>.+)$")


class EmulatorRequest(BaseRequest):
    """Use as ``Bot(token, request=EmulatorRequest(fake), get_updates_request=...)``.

    Pass a separate instance for ``get_updates_request``; PTB would otherwise build an
    HTTPX request for it that tries to reach api.telegram.org.
    """

    def __init__(self, fake: FakeTelegram, read_timeout: float | None = 5.0) -> None:
        self.fake = fake
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: the emulator lives in this process."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        path = unquote(parts.path)
        file_match = _FILE_PATH.search(path)
        if file_match:  # BaseRequest.retrieve(): a file download
            data = self.fake.download(file_match["token"], file_match["path"])
            if data is None:
                return 404, _dump({"ok": False, "error_code": 404, "description": "Not Found"})
            return 200, data
        match = _API_PATH.search(path)
        if not match:
            return 404, _dump({"ok": False, "error_code": 404, "description": "Not Found"})
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None:
            params.update(request_data.json_parameters)
            for name, (filename, content, _mime) in request_data.multipart_data.items():
                files[name] = (filename or name, _read(content))
        status, body = await self.fake.call(match["token"], match["method"], params, files)
        return status, _dump(body)


def _read(content: bytes | IO[bytes]) -> bytes:
    return content if isinstance(content, bytes) else content.read()


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
