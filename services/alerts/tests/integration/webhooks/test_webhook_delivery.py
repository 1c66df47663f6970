"""Messages reach their subscribers signed, once, with a stable id: through filters, a
replayed key, a receiver that was down, a dispatcher that died mid-attempt, and a secret
rotation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from pulse.alerts.delivery.dispatcher import WebhookDispatcher
from pulse.alerts.webhooks.message_ids import message_id
from pulse.devtools.testing.plugin import ADMIN_KEY

from .conftest import Receivers, StackFactory, alert
from .webhook_endpoint import Answer, Received

pytestmark = pytest.mark.integration


async def test_a_message_arrives_signed_with_its_body_and_headers(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        sub = await stack.subscribe(receiver)
        await stack.enqueue(alert("alert-1", severity="high"))

        [got] = await receiver.wait_for(1)
        assert got.verified_with == receiver.secrets
        assert got.webhook_id == message_id(sub["id"], "alert-1")
        assert got.json == {
            "type": "alert.opened",
            "timestamp": "2026-12-01T09:30:00Z",
            "data": {"rule": "r", "severity": "high"},
        }
        assert got.headers["content-type"] == "application/json"
        assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
        delivery = await stack.settled(sub["id"])
        assert (delivery["state"], delivery["attempts"]) == ("delivered", 1)
        assert delivery["attempt_log"][0]["status"] == 200
        assert delivery["attempt_log"][0]["response_body"] == "ok"


async def test_a_replayed_key_and_unwanted_messages_send_nothing_more(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        everyone = await receivers(stack.clock)
        filtered = await receivers(stack.clock)
        await stack.subscribe(everyone)
        await stack.subscribe(filtered, account_ids=["acme"], segments=["high_touch"])
        await stack.enqueue(alert("a-1"), alert("a-1"))
        await stack.enqueue(alert("a-1"))  # the engine replaying a batch
        await stack.enqueue(alert("b-1", account_id="globex"))
        await stack.enqueue(alert("c-1", segment="tech_touch"))

        await everyone.wait_for(3)
        await filtered.wait_for(1)
        await stack.until(lambda: _all_settled(stack))
        assert sorted(r.json["data"]["rule"] for r in everyone.received) == ["r", "r", "r"]
        assert len({r.webhook_id for r in everyone.received}) == 3
        assert [r.webhook_id for r in filtered.received] == [
            message_id(r, "a-1") for r in await _subscription_ids(stack, filtered.url)
        ]


async def test_a_receiver_down_then_up_gets_the_message_once_with_the_same_id(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        sub = await stack.subscribe(receiver)
        await receiver.stop()
        await stack.enqueue(alert("down-1"))
        failed = await stack.settled(sub["id"])
        assert (failed["state"], failed["attempts"]) == ("pending", 1)
        assert "ConnectError" in failed["attempt_log"][0]["error"]

        await receiver.start()
        stack.clock.advance(timedelta(seconds=6))  # the first retry is at most 5 s later
        stack.dispatcher.wake()
        [got] = await receiver.wait_for(1)
        delivered = await stack.settled(sub["id"], attempts=2)
        assert (delivered["state"], delivered["attempts"]) == ("delivered", 2)
        assert got.webhook_id == failed["webhook_id"] == message_id(sub["id"], "down-1")
        await asyncio.sleep(0.3)
        assert len(receiver.received) == 1


async def test_a_dispatcher_cancelled_mid_attempt_loses_nothing(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        sub = await stack.subscribe(receiver)
        held = asyncio.Event()

        async def hold(_: Received) -> Answer:
            await held.wait()
            return Answer()

        receiver.responder = hold
        # The app's own dispatcher stops; a second one plays the process that dies.
        stack.dispatcher.stop()
        doomed = WebhookDispatcher(stack.context.sessions, stack.dispatcher.config, stack.clock)
        crashing = asyncio.create_task(doomed.run())
        await stack.enqueue(alert("crash-1"))
        doomed.wake()
        [first] = await receiver.wait_for(1)
        crashing.cancel()
        await asyncio.gather(crashing, return_exceptions=True)
        held.set()
        receiver.responder = None

        replacement = WebhookDispatcher(
            stack.context.sessions, stack.dispatcher.config, stack.clock
        )
        running = asyncio.create_task(replacement.run())
        try:
            await asyncio.sleep(0.2)
            assert len(receiver.received) == 1  # leased to the dead process until its lease ends
            stack.clock.advance(stack.dispatcher.config.lease + timedelta(seconds=1))
            replacement.wake()
            [_, second] = await receiver.wait_for(2)
            delivery = await stack.settled(sub["id"], attempts=2)
        finally:
            replacement.stop()
            await running
        assert second.webhook_id == first.webhook_id == message_id(sub["id"], "crash-1")
        assert (delivery["state"], delivery["attempts"]) == ("delivered", 2)
        assert [a["status"] for a in delivery["attempt_log"]] == [200]


async def test_rotation_signs_with_both_secrets_during_the_overlap_then_the_new_one(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        sub = await stack.subscribe(receiver)
        old = sub["secret"]
        await stack.enqueue(alert("before"))
        await receiver.wait_for(1)

        response = await stack.api.post(
            f"/v1/webhooks/{sub['id']}/rotate-secret", params={"overlap": 3600}, headers=ADMIN_KEY
        )
        assert response.status_code == 200, response.text
        new = response.json()["secret"]
        assert new != old
        assert new.startswith("whsec_")
        receiver.secrets.append(new)
        await stack.enqueue(alert("during"))
        await receiver.wait_for(2)

        stack.clock.advance(timedelta(hours=1, seconds=1))
        await stack.enqueue(alert("after"))
        before, during, after = await receiver.wait_for(3)
        assert before.verified_with == [old]
        assert during.verified_with == [old, new]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert after.verified_with == [new]


async def _all_settled(stack) -> bool:  # type: ignore[no-untyped-def]
    rows = await stack.sql(
        "SELECT count(*) FROM webhook_deliveries WHERE state NOT IN ('delivered', 'failed')"
    )
    return bool(rows[0][0] == 0)


async def _subscription_ids(stack, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        row[0]
        for row in await stack.sql("SELECT id FROM webhook_subscriptions WHERE url = :u", u=url)
    ]
