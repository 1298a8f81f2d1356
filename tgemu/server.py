"""HTTP face of :class:`FakeTelegram`: the real Bot API URL layout on 127.0.0.1.

End-to-end tests run the bot as a subprocess with ``base_url`` pointing here, so the whole
stack (HTTPX, multipart encoding, long polling over a socket) is exercised.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from aiohttp import web

from tgemu.core import FakeTelegram

_FAKE_KEY = web.AppKey("fake", FakeTelegram)
_MAX_BODY = 60 * 1024 * 1024  # above Telegram's 50 MB so the emulator answers 413 itself


def build_app(fake: FakeTelegram) -> web.Application:
    """aiohttp app serving ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``."""
    app = web.Application(client_max_size=_MAX_BODY)
    app[_FAKE_KEY] = fake
    app.router.add_route("*", "/bot{token}/{method}", _api)
    app.router.add_get("/file/bot{token}/{path:.+}", _file)

    async def release(_: web.Application) -> None:
        fake.release_pollers()  # otherwise shutdown waits for a long poll to time out

    app.on_shutdown.append(release)
    return app


async def _api(request: web.Request) -> web.Response:
    fake = request.app[_FAKE_KEY]
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.method == "POST" and request.body_exists:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return _error(400, "Bad Request: can't parse JSON object")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = value
    status, body = await fake.call(
        request.match_info["token"], request.match_info["method"], params, files or None
    )
    return _json(body, status)


async def _file(request: web.Request) -> web.Response:
    data = request.app[_FAKE_KEY].download(request.match_info["token"], request.match_info["path"])
    if data is None:
        return _error(404, "Not Found")
    return web.Response(body=data, content_type="application/octet-stream")


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


def _error(status: int, description: str) -> web.Response:
    return _json({"ok": False, "error_code": status, "description": description}, status)


async def start_server(
    fake: FakeTelegram, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve ``fake`` over HTTP; returns the runner (``await runner.cleanup()``) and base_url.

    Pass base_url to PTB as ``base_url`` and :func:`file_url` of it as ``base_file_url``.
    Handlers are cancelled when a client disconnects, so an abandoned long poll does not
    linger (and does not block shutdown).
    """
    runner = web.AppRunner(build_app(fake), handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}/bot"


def file_url(base_url: str) -> str:
    """``http://h:p/bot`` -> ``http://h:p/file/bot`` (PTB's ``base_file_url``)."""
    return base_url.removesuffix("/bot") + "/file/bot"


async def _serve_forever(port: int) -> None:
    fake = FakeTelegram()
    runner, base_url = await start_server(fake, port=port)
    print(f"Fake Bot API listening: base_url={base_url} base_file_url={file_url(base_url)}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await fake.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    try:
        asyncio.run(_serve_forever(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
