"""A local webhook receiver: verifies each delivery's Standard Webhooks signature with the
`standardwebhooks` library (as a CS tool would) and hands the verified messages over."""

from __future__ import annotations

import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class WebhookReceiver:
    """Listens on 127.0.0.1 (a free port); `messages` gets each verified message once, even
    when a retry delivers it again (deduplicated by `webhook-id`)."""

    def __init__(self) -> None:
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.rejected = 0
        self._verifier: Webhook | None = None
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where the subscription should send."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/pulse"

    def trust(self, secret: str) -> None:
        """Verify from now on with the subscription's secret (`whsec_…`)."""
        self._verifier = Webhook(secret)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _accept(self, body: bytes, headers: dict[str, str]) -> int:
        if self._verifier is None:
            return 503  # not subscribed yet: Pulse retries
        try:
            self._verifier.verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.rejected += 1
            return 401
        with self._lock:
            first_time = headers["webhook-id"] not in self._seen
            self._seen.add(headers["webhook-id"])
        if first_time:
            self.messages.put(orjson.loads(body))
        return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                self.send_response(receiver._accept(body, headers))
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the demo prints what it received, not the access log."""

        return Handler
