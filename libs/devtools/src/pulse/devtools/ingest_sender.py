"""Sending events to ingest's `POST /v1/events` in batches, with retries where ingest asks.

429 and 503 (and a connection that fails) are retried with backoff, honouring
`Retry-After`; a retried batch is the same events with the same ids, so ingest and health
take each event once. Any other error status stops the run with ingest's error body.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

RETRIED_STATUSES = frozenset({429, 503})


class IngestError(Exception):
    """Ingest refused a batch or could not be reached; the message says what it answered."""


@dataclass(slots=True)
class SendTally:
    """What ingest answered so far."""

    sent: int = 0  # events in the batches ingest answered 202 to
    accepted: int = 0
    requests: int = 0
    retries: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before giving up on a batch."""

    attempts: int = 8
    first_backoff_s: float = 0.5
    max_backoff_s: float = 30.0

    def backoff(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before attempt `attempt + 1`: Retry-After if given, else doubling."""
        if retry_after is not None and retry_after.strip().isdigit():
            return min(self.max_backoff_s, float(retry_after))
        return min(self.max_backoff_s, self.first_backoff_s * 2.0 ** (attempt - 1))


class IngestSender:
    """Posts events to `/v1/events` through `client` (whose base URL is ingest's)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        api_key: str,
        *,
        batch_size: int = 1000,
        lanes: int = 4,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
        }
        self.batch_size = batch_size
        self.lanes = lanes
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.tally = SendTally()

    async def send(self, events: Sequence[dict[str, Any]]) -> None:
        """Send `events`, several batches at once; each account's events stay in order (an
        account always goes by the same lane, and a lane sends one batch at a time)."""
        lanes: list[list[dict[str, Any]]] = [[] for _ in range(self.lanes)]
        for event in events:
            lanes[zlib.crc32(event["account_id"].encode()) % self.lanes].append(event)
        await asyncio.gather(*(self._send_lane(lane) for lane in lanes if lane))

    async def _send_lane(self, events: list[dict[str, Any]]) -> None:
        for first in range(0, len(events), self.batch_size):
            await self.send_batch(events[first : first + self.batch_size])

    async def send_batch(self, batch: Sequence[dict[str, Any]]) -> None:
        """Post one batch (at most ingest's limit), retrying while ingest asks to."""
        body = orjson.dumps({"events": batch})
        for attempt in range(1, self.retry.attempts + 1):
            response = await self._post(body, attempt)
            if response is not None and response.status_code == 202:
                self._count(len(batch), response.json())
                return
            if attempt == self.retry.attempts:
                raise IngestError(_gave_up(response, attempt))
            retry_after = response.headers.get("retry-after") if response is not None else None
            self.tally.retries += 1
            await self.sleep(self.retry.backoff(attempt, retry_after))

    async def _post(self, body: bytes, attempt: int) -> httpx.Response | None:
        """The response, or None when the connection failed (worth retrying)."""
        try:
            response = await self.client.post("/v1/events", content=body, headers=self.headers)
        except httpx.TransportError as error:
            if attempt == self.retry.attempts:
                raise IngestError(
                    f"cannot reach ingest at {self.client.base_url}: {error}"
                ) from error
            return None
        self.tally.requests += 1
        if response.status_code != 202 and response.status_code not in RETRIED_STATUSES:
            raise IngestError(
                f"ingest answered {response.status_code} to POST /v1/events: {response.text}"
            )
        return response

    def _count(self, sent: int, answer: dict[str, Any]) -> None:
        self.tally.sent += sent
        self.tally.accepted += int(answer["accepted"])
        self.tally.rejected.extend(answer.get("rejected", []))


def _gave_up(response: httpx.Response | None, attempts: int) -> str:
    what = "no connection" if response is None else f"{response.status_code}: {response.text}"
    return f"ingest still refused a batch after {attempts} attempts ({what})"
