"""One endpoint's trouble stays its own: a slow endpoint holds only its own slots, and an
ordered subscription sends one account's messages one at a time, in order."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import Receivers, StackFactory, alert
from .webhook_endpoint import Answer, Received

pytestmark = pytest.mark.integration


async def test_a_slow_endpoint_does_not_delay_a_healthy_one(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack(per_subscription_concurrency=4, workers=8) as stack:
        slow = await receivers(stack.clock)
        healthy = await receivers(stack.clock)
        released = asyncio.Event()

        async def hang(_: Received) -> Answer:
            await released.wait()
            return Answer()

        slow.responder = hang
        await stack.subscribe(slow)
        await stack.subscribe(healthy)
        await stack.enqueue(*(alert(f"s-{n}", account_id=f"acct-{n}") for n in range(10)))

        await healthy.wait_for(10)
        # Every healthy message went while the slow endpoint held its four requests open.
        assert len(slow.received) == 4
        assert not released.is_set()
        released.set()
        await slow.wait_for(10)
        assert len({r.webhook_id for r in slow.received}) == 10


async def test_an_ordered_subscription_waits_for_the_previous_message_of_the_account(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        in_flight: list[str] = []
        most_at_once: dict[str, int] = {}

        async def one_at_a_time(received: Received) -> Answer:
            account = received.json["data"]["account"]
            in_flight.append(account)
            most_at_once[account] = max(most_at_once.get(account, 0), in_flight.count(account))
            await asyncio.sleep(0.05)
            in_flight.remove(account)
            return Answer()

        receiver.responder = one_at_a_time
        await stack.subscribe(receiver, ordered=True)
        messages = [
            alert(f"o-{account}-{n}", account_id=account, account=account, n=n)
            for n in range(4)
            for account in ("acme", "globex")
        ]
        await stack.enqueue(*messages)

        got = await receiver.wait_for(8)
        for account in ("acme", "globex"):
            sent = [r.json["data"]["n"] for r in got if r.json["data"]["account"] == account]
            assert sent == [0, 1, 2, 3]
        assert most_at_once == {"acme": 1, "globex": 1}
