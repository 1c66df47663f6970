"""HTTP requests go first: background work on the event loop steps aside while they are
served.

A service's heavy background work (re-scoring every account after a model change, a large
consumer batch) runs on the same event loop as its HTTP requests, in short slices. A
request awaits several times (pool checkout, BEGIN, its query, ROLLBACK, the response), and
if background work took the next slice at every one of them, a 5 ms read would wait behind
each: tens of milliseconds on an idle machine, hundreds when other processes share the
cores. So between slices, background work waits while requests are in flight, up to a
bound that keeps it going under a steady stream of requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

#: Longest one `step_aside` waits for requests to finish. Background work then runs its
#: next slice (about 2 ms) anyway, so it keeps at least ~15 % of the loop under any load.
STEP_ASIDE_MAX_S = 0.01

#: What background work awaits between two slices.
StepAside = Callable[[], Awaitable[None]]


async def yield_now() -> None:
    """The plain step aside, with no HTTP in the process: let pending I/O in."""
    await asyncio.sleep(0)


class RequestsInFlight:
    """How many HTTP requests are being served, and a way for background work to wait
    until there are none."""

    def __init__(self) -> None:
        self._count = 0
        # Resolved when the count falls to 0; made by a waiter, in the waiter's loop.
        self._idle: asyncio.Future[None] | None = None

    @property
    def count(self) -> int:
        return self._count

    def started(self) -> None:
        self._count += 1

    def finished(self) -> None:
        self._count -= 1
        if self._count == 0 and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    async def step_aside(self, longest_s: float = STEP_ASIDE_MAX_S) -> None:
        """Between two slices of background work: let pending I/O in, and while requests
        are in flight, wait for them to finish (at most `longest_s`)."""
        if self._count == 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        if self._idle is None or self._idle.done() or self._idle.get_loop() is not loop:
            self._idle = loop.create_future()
        try:
            async with asyncio.timeout(longest_s):
                await asyncio.shield(self._idle)  # shared: a timeout must not cancel it
        except TimeoutError:
            pass


class RequestsInFlightMiddleware:
    """Counts every HTTP request in `requests` while the app serves it."""

    def __init__(self, app: ASGIApp, *, requests: RequestsInFlight) -> None:
        self._app = app
        self._requests = requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self._requests.started()
        try:
            await self._app(scope, receive, send)
        finally:
            self._requests.finished()
