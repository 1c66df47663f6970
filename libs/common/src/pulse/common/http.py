"""HTTP helpers shared by the services: the JSON response class and request metrics."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pulse.common.metrics import HTTP_REQUEST_DURATION

#: Methods that label metrics as themselves; any other (a client may send any token) is
#: "other", as an unmatched path is "unmatched": labels come from a set the code fixes.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class JSONResponse(Response):
    """A JSON response rendered with orjson (one JSON library everywhere)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class RequestMetricsMiddleware:
    """Observes request duration by method, route template (never the raw path) and status."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in _METHODS else "other"
            HTTP_REQUEST_DURATION.labels(self._service, method, template, str(status)).observe(
                time.perf_counter() - started
            )
