"""Background work steps aside while HTTP requests are served, for a bounded time."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from pulse.common.foreground import RequestsInFlight, RequestsInFlightMiddleware


async def test_with_no_request_in_flight_it_only_yields() -> None:
    requests = RequestsInFlight()
    # Would wait an hour if it waited at all.
    await asyncio.wait_for(requests.step_aside(longest_s=3600), timeout=30)


async def test_it_waits_until_the_requests_in_flight_finish() -> None:
    requests = RequestsInFlight()
    requests.started()
    requests.started()
    order: list[str] = []

    async def background() -> None:
        await requests.step_aside(longest_s=5.0)
        order.append("background")

    async def serve() -> None:
        await asyncio.sleep(0.01)
        order.append("first request")
        requests.finished()
        await asyncio.sleep(0.01)
        order.append("second request")
        requests.finished()

    await asyncio.gather(background(), serve())
    assert order == ["first request", "second request", "background"]
    assert requests.count == 0


async def test_it_waits_no_longer_than_its_bound() -> None:
    requests = RequestsInFlight()
    requests.started()  # a request that never ends
    await requests.step_aside(longest_s=0.05)
    await requests.step_aside(longest_s=0.05)  # and again: the shared wait survives a timeout
    assert requests.count == 1
    requests.finished()
    await asyncio.wait_for(requests.step_aside(longest_s=3600), timeout=30)


async def test_the_middleware_counts_each_request_while_it_is_served() -> None:
    requests = RequestsInFlight()
    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(requests.count)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    transport = httpx.ASGITransport(app=RequestsInFlightMiddleware(app, requests=requests))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(*(client.get("/") for _ in range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert max(seen) >= 1
    assert requests.count == 0
