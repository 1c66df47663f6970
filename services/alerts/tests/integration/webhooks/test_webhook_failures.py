"""Endpoints that fail: the retry schedule to its end, the warning and the disable that
follow, 410 Gone, Retry-After, and bringing a fixed endpoint back (redeliver, re-enable,
recover)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import Receivers, StackFactory, WebhookStack, alert
from .webhook_endpoint import Answer

pytestmark = pytest.mark.integration


async def drive_to_the_end(stack: WebhookStack, subscription_id: str) -> dict[str, Any]:
    """Move the clock to each retry of the newest delivery until it is no longer pending."""
    attempts = 0
    while True:
        delivery = await stack.settled(subscription_id, attempts=attempts + 1)
        attempts = delivery["attempts"]
        if delivery["state"] != "pending":
            return delivery
        stack.clock.reach(datetime.fromisoformat(delivery["next_attempt_at"]))
        stack.dispatcher.wake()


async def test_an_endpoint_failing_for_days_is_warned_about_disabled_and_can_come_back(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    # Half of each step: the nine retries take 38 h, so the eleventh attempt is the one
    # pinned to the end of the three days.
    async with webhook_stack(jitter=0.5) as stack:
        failing = await receivers(stack.clock)
        failing.answer = Answer(500, body=b"boom")
        other = await receivers(stack.clock)
        sub = await stack.subscribe(failing)
        await stack.subscribe(other, event_types=["alert.opened", "alert.resolved"])
        started = stack.clock()

        await stack.enqueue(alert("m-1"))
        first = await drive_to_the_end(stack, sub["id"])
        assert (first["state"], first["attempts"]) == ("failed", 11)
        assert first["attempt_log"][0]["response_body"] == "boom"
        assert stack.clock() - started >= timedelta(days=3)
        warned = await _get(stack, sub["id"])
        assert warned["enabled"] is True
        assert warned["warned_at"] is not None

        await stack.enqueue(alert("m-2"))  # the engine keeps producing
        second = await drive_to_the_end(stack, sub["id"])
        assert second["state"] == "failed"
        disabled = await _get(stack, sub["id"])
        assert disabled["enabled"] is False
        assert disabled["disabled_reason"].startswith("every attempt since")
        assert stack.clock() - started >= timedelta(days=5)

        warnings = await _warnings(stack, other, 2)
        assert [(w["data"]["subscription_id"], w["data"]["state"]) for w in warnings] == [
            (sub["id"], "warned"),
            (sub["id"], "disabled"),
        ]
        assert all(r.verified_with == other.secrets for r in other.received)

        # Fixed: one delivery by hand while still disabled, then re-enable and recover.
        failing.answer = Answer(200)
        sent_before = len(failing.received)
        response = await stack.api.post(
            f"/v1/deliveries/{first['id']}/redeliver", headers=ADMIN_KEY
        )
        assert response.status_code == 202, response.text
        redelivered = await failing.wait_for(sent_before + 1)
        assert redelivered[-1].webhook_id == first["webhook_id"]
        await stack.until(lambda: _state_is(stack, sub["id"], first["id"], "delivered"))
        assert (await _get(stack, sub["id"]))["enabled"] is False

        response = await stack.api.patch(
            f"/v1/webhooks/{sub['id']}", json={"enabled": True}, headers=ADMIN_KEY
        )
        assert response.status_code == 200, response.text
        enabled = response.json()
        assert (enabled["enabled"], enabled["failing_since"], enabled["warned_at"]) == (
            True,
            None,
            None,
        )
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        response = await stack.api.post(
            f"/v1/webhooks/{sub['id']}/recover", params={"since": since}, headers=ADMIN_KEY
        )
        assert response.json() == {"webhook_id": sub["id"], "recovering": 1}
        recovered = await failing.wait_for(sent_before + 2)
        assert recovered[-1].webhook_id == second["webhook_id"]
        await stack.until(lambda: _state_is(stack, sub["id"], second["id"], "delivered"))


async def test_410_gone_disables_the_subscription_at_once(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        gone = await receivers(stack.clock)
        gone.answer = Answer(410)
        other = await receivers(stack.clock)
        sub = await stack.subscribe(gone)
        await stack.subscribe(other)

        await stack.enqueue(alert("g-1"))
        delivery = await stack.settled(sub["id"])
        assert (delivery["state"], delivery["attempts"]) == ("failed", 1)
        disabled = await _get(stack, sub["id"])
        assert (disabled["enabled"], disabled["disabled_reason"]) == (
            False,
            "the endpoint answered 410 Gone",
        )
        [warning] = await _warnings(stack, other, 1)
        assert warning["data"]["state"] == "disabled"

        await stack.enqueue(alert("g-2"))
        await other.wait_for(3)  # g-1, the warning, g-2
        assert [d["webhook_id"] for d in await stack.deliveries(sub["id"])] == [
            delivery["webhook_id"]
        ]
        assert len(gone.received) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_pushes_the_next_attempt_back(
    webhook_stack: StackFactory, receivers: Receivers, status: int
) -> None:
    async with webhook_stack() as stack:
        slow_down = await receivers(stack.clock)
        slow_down.answer = Answer(status, headers={"Retry-After": "7200"})
        sub = await stack.subscribe(slow_down)

        await stack.enqueue(alert("t-1"))
        throttled = await stack.settled(sub["id"])
        assert throttled["state"] == "pending"
        wait = datetime.fromisoformat(throttled["next_attempt_at"]) - datetime.fromisoformat(
            throttled["attempt_log"][0]["at"]
        )
        # The schedule alone would have retried within 5 s.
        assert timedelta(hours=2) <= wait <= timedelta(hours=2, seconds=1)

        slow_down.answer = Answer(200)
        stack.clock.advance(timedelta(hours=1))
        stack.dispatcher.wake()
        await asyncio.sleep(0.3)
        assert len(slow_down.received) == 1
        stack.clock.reach(datetime.fromisoformat(throttled["next_attempt_at"]))
        stack.dispatcher.wake()
        await slow_down.wait_for(2)
        delivered = await stack.settled(sub["id"], attempts=2)
        assert delivered["state"] == "delivered"


async def _get(stack: WebhookStack, subscription_id: str) -> dict[str, Any]:
    response = await stack.api.get(f"/v1/webhooks/{subscription_id}", headers=READ_KEY)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _warnings(stack: WebhookStack, receiver: Any, count: int) -> list[dict[str, Any]]:
    for _ in range(1500):
        found = [r.json for r in receiver.received if r.json["type"] == "webhook.endpoint_failing"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} warnings arrived")


async def _state_is(
    stack: WebhookStack, subscription_id: str, delivery_id: int, state: str
) -> bool:
    found = await stack.deliveries(subscription_id, limit=200)
    return any(d["id"] == delivery_id and d["state"] == state for d in found)
