"""A real HTTP receiver for webhook tests: an asyncio server on a free port that records
every request, verifies its signature with the Standard Webhooks library, and answers as
the test tells it (a status, headers, or a wait until the test lets it answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from standardwebhooks.webhooks import WebhookVerificationError

from ...unit.webhook_receiver import verify


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    #: Which of the receiver's secrets accepted the signature.
    verified_with: list[str]

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


Responder = Callable[[Received], Awaitable[Answer]]


class WebhookReceiver:
    """Answers 200 until told otherwise; `secrets` are the ones it verifies with."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.secrets: list[str] = []
        self.received: list[Received] = []
        self.answer = Answer()
        #: Overrides `answer` when set: may wait before answering.
        self.responder: Responder | None = None
        self.port = 0
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        """Listen (again, on the same port after a `stop`)."""
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """The requests once at least `count` arrived (fails after `timeout_s`)."""
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(path, headers, body, self._verified_with(headers, body))
            self.received.append(received)
            self._arrived.set()
            answer = await self.responder(received) if self.responder else self.answer
            extra = "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())
            writer.write(
                f"HTTP/1.1 {answer.status} X\r\ncontent-length: {len(answer.body)}\r\n"
                f"connection: close\r\n{extra}\r\n".encode()
                + answer.body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the sender gave up (a timeout, a cancelled attempt): nothing to answer
        finally:
            writer.close()

    def _verified_with(self, headers: dict[str, str], body: bytes) -> list[str]:
        at = int(self.clock().timestamp())
        accepted = []
        for secret in self.secrets:
            try:
                verify(secret, body, headers, at)
            except WebhookVerificationError:
                continue
            accepted.append(secret)
        return accepted
