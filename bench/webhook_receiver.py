"""A local webhook receiver for the benchmarks: records when each message arrived and
verifies its signature with the reference Standard Webhooks library.

It runs in the benchmark's event loop (uvicorn on a free loopback port). A message is
timed when its whole body has been read, before it is verified; a repeat of a
`webhook-id` (a retry, a redelivery) keeps its first arrival. A bad signature answers 401
and is counted, so the figures never include a message the library refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.types import Receive, Scope, Send

from pulse.devtools.embedded import free_port


@dataclass(frozen=True, slots=True)
class Arrival:
    """One message as it first arrived."""

    message_type: str
    data: dict[str, Any]
    #: `time.perf_counter()` when its body had been read.
    at: float


@dataclass
class WebhookReceiver:
    """An ASGI app taking Standard Webhooks POSTs signed with `secret` (set it once the
    subscription is made: until then every message is refused)."""

    secret: str | None = None
    arrivals: dict[str, Arrival] = field(default_factory=dict)
    repeats: int = 0
    refused: list[str] = field(default_factory=list)
    #: Set whenever a message arrives (waiters clear it).
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        at = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status = self._take(body, headers, at)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def _take(self, body: bytes, headers: dict[str, str], at: float) -> int:
        if self.secret is None:
            self.refused.append("a message before the subscription's secret was known")
            return 503
        try:
            Webhook(self.secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError as error:
            self.refused.append(f"{headers.get('webhook-id')}: {error}")
            return 401
        message_id = headers["webhook-id"]
        if message_id in self.arrivals:
            self.repeats += 1
            return 204
        parsed = orjson.loads(body)
        self.arrivals[message_id] = Arrival(parsed["type"], parsed["data"], at)
        self.arrived.set()
        return 204


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


@asynccontextmanager
async def serving(receiver: WebhookReceiver) -> AsyncIterator[str]:
    """Serve `receiver` on a free loopback port until the block ends; yield its URL."""
    port = free_port()
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="webhook-receiver")
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why it stopped
                raise RuntimeError("the webhook receiver stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        server.should_exit = True
        await task
