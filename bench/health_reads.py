"""Health reads: `GET /v1/accounts/{id}/health` at a steady open-loop rate.

Request n is due at start + n / rate whether or not earlier ones were answered, and its
latency counts from when it was due: a slow service cannot hide queueing by slowing the
client down (coordinated omission).

The client is a few lines of HTTP/1.1 over asyncio streams, on a fixed set of keep-alive
connections. httpx's AsyncClient costs about 1.5 ms of CPU per request here and, past
~300 requests/s with many in flight, saturated its core and fell to ~130/s: it measured
itself, not health, on two cores shared with the service and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.health_common import API_KEY, latency_summary, sleep_until

CONNECTIONS = 32


@dataclass(frozen=True)
class ReadOptions:
    """Rate and length of the read part."""

    rate: int = 500
    seconds: float = 20.0
    warmup_s: float = 3.0


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        """Connect to the service at `url`."""
        where = urlsplit(url)
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        return cls(reader, writer)

    async def get(self, path: str) -> int:
        """GET `path`; the status (the body is read and dropped)."""
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: bench\r\n"
            f"Authorization: Bearer {API_KEY}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                await self.reader.readexactly(int(line[15:]))
                return status
        raise RuntimeError(f"response without Content-Length: {head[:200]!r}")

    def close(self) -> None:
        """Close the socket."""
        self.writer.close()


async def read_at_rate(
    url: str, account_ids: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    """GET random accounts' health at `rate`/s for `seconds`; latencies and statuses."""
    picker = random.Random(3)
    queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(connection: Connection) -> None:
        while (item := await queue.get()) is not None:
            due, account_id = item
            status = await connection.get(f"/v1/accounts/{account_id}/health")
            latencies.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1

    connections = [await Connection.open(url) for _ in range(CONNECTIONS)]
    workers = [asyncio.create_task(worker(c)) for c in connections]
    loop = asyncio.get_running_loop()
    start_loop, start = loop.time(), time.perf_counter()
    try:
        for n in range(int(rate * seconds)):
            await sleep_until(start_loop + n / rate)
            queue.put_nowait((start + n / rate, picker.choice(account_ids)))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
    finally:
        for connection in connections:
            connection.close()
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "achieved_per_s": round(len(latencies) / elapsed),
        **latency_summary(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def measure_reads(url: str, account_ids: list[str], options: ReadOptions) -> dict[str, Any]:
    """A short warm-up at the same rate, then the measured run."""
    await read_at_rate(url, account_ids, options.rate, options.warmup_s)
    measured = await read_at_rate(url, account_ids, options.rate, options.seconds)
    return {**measured, "target_per_s": options.rate, "target_p99_ms": 10}
