"""The HTTP side: Telegram's webhook, and health and metrics for the operator.

Starlette under uvicorn (PTB documents custom webhook servers; its own tornado server
answers 200 before any handler ran). Here the 200 follows the inbox commit: an update
Telegram counts as delivered is always stored. The secret-token header and the size
limit are checked before the body is read.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, Update

log = logging.getLogger(__name__)

# Telegram's updates are small; a body beyond this is not from Telegram.
MAX_BODY = 1_000_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Accept = Callable[[Update, str], Awaitable[None]]
Probe = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def build_web_app(
    *,
    bot: Bot,
    accept: Accept | None,
    path: str,
    secret: str,
    liveness: Probe,
    readiness: Probe,
    metrics: Callable[[], Awaitable[tuple[bytes, str]]] | None = None,
) -> Starlette:
    """The ASGI app: POST `/path` takes updates (webhook mode), GET /healthz and /metrics."""

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return Response(status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, bot)
        except (ValueError, TypeError, KeyError):
            return Response(status_code=400)
        assert accept is not None
        try:
            await accept(update, body.decode())
        except Exception as exc:
            # Not stored, so not acknowledged: Telegram will deliver it again.
            log.warning(
                "webhook update %s not stored (%s); Telegram will retry", update.update_id, type(exc).__name__
            )
            return Response(status_code=503)
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        probe = readiness if "ready" in request.query_params else liveness
        ok, details = await probe()
        return JSONResponse({"ok": ok, **details}, status_code=200 if ok else 503)

    async def readyz(request: Request) -> Response:
        ok, details = await readiness()
        return JSONResponse({"ok": ok, **details}, status_code=200 if ok else 503)

    async def metrics_view(request: Request) -> Response:
        if metrics is None:
            return PlainTextResponse("", status_code=404)
        body, content_type = await metrics()
        return Response(body, media_type=content_type)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_view, methods=["GET"]),
    ]
    if accept is not None:
        routes.append(Route("/" + path.strip("/"), webhook, methods=["POST"]))
    return Starlette(routes=routes)


def bind(host: str, port: int) -> socket.socket:
    """Bind before serving, so a port in use is one clear error rather than uvicorn exiting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class WebServer:
    """uvicorn serving the app on an already bound socket, inside the bot's event loop."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        import uvicorn

        self.sock = sock
        # log_config=None: uvicorn's records go through the bot's logging (one format, JSON
        # included, the token redacted) rather than handlers of its own.
        config = uvicorn.Config(app, log_level="warning", log_config=None, lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        # The bot handles SIGTERM/SIGINT itself and stops the server in order.
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]

    @property
    def started(self) -> bool:
        return bool(self.server.started) and not self.server.should_exit

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    async def serve(self) -> None:
        await self.server.serve(sockets=[self.sock])

    def stop(self) -> None:
        self.server.should_exit = True
