"""The delivery log is kept for its retention and no longer; the gauges count the queue
and the subscriptions in trouble."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from .conftest import Receivers, StackFactory, WebhookStack, alert
from .webhook_endpoint import Answer

pytestmark = pytest.mark.integration


async def test_the_log_past_its_retention_is_purged_and_pending_work_kept(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack(log_retention_days=30) as stack:
        ok = await receivers(stack.clock)
        down = await receivers(stack.clock)
        down.answer = Answer(500)
        delivered_sub = await stack.subscribe(ok)
        pending_sub = await stack.subscribe(down)
        await stack.enqueue(alert("old-1"))
        await stack.settled(delivered_sub["id"])
        await stack.settled(pending_sub["id"])
        stack.dispatcher.stop()  # no retry may run while a month passes

        stack.clock.advance(timedelta(days=29))
        assert await stack.dispatcher.purge_log() == 0
        stack.clock.advance(timedelta(days=2))
        # The delivered delivery and its attempt go; the pending one keeps its message, but
        # its attempt from 31 days ago leaves the log.
        assert await stack.dispatcher.purge_log() == 3
        assert await stack.deliveries(delivered_sub["id"]) == []
        [kept] = await stack.deliveries(pending_sub["id"])
        assert (kept["state"], kept["attempt_log"]) == ("pending", [])


async def test_gauges_show_the_queue_and_disabled_subscriptions(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        gone = await receivers(stack.clock)
        gone.answer = Answer(410)
        down = await receivers(stack.clock)
        down.answer = Answer(500)
        gone_sub = await stack.subscribe(gone)
        down_sub = await stack.subscribe(down)
        await stack.enqueue(alert("q-1"), alert("q-2"))
        await stack.settled(gone_sub["id"])
        await stack.settled(down_sub["id"])
        # q-1, q-2 and the warning that the 410 endpoint was disabled, all failing once.
        await stack.until(lambda: _pending(stack, down_sub["id"], 3))

        await stack.dispatcher.refresh_gauges()
        assert REGISTRY.get_sample_value("pulse_webhook_retry_queue_depth") == 3
        assert REGISTRY.get_sample_value("pulse_webhook_subscriptions_disabled") == 1
        assert REGISTRY.get_sample_value("pulse_webhook_subscriptions_warned") == 0
        oldest = REGISTRY.get_sample_value("pulse_webhook_oldest_pending_age_seconds")
        assert oldest is not None
        assert oldest > 0


async def _pending(stack: WebhookStack, subscription_id: str, count: int) -> bool:
    found = await stack.deliveries(subscription_id, state="pending")
    return len(found) == count and all(d["attempts"] == 1 for d in found)
