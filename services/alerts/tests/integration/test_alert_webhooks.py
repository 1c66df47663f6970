"""From ingest's HTTP API to a CS tool's endpoint: an alert's opening, update and
resolution arrive as Standard Webhooks the published library verifies, once each, with
the reason, the numbers and the playbook; a band change health reports arrives too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import produce
from pulse.devtools.testing.plugin import ADMIN_KEY

from .conftest import StackFactory, profile, ticket
from .webhooks.webhook_endpoint import WebhookReceiver

pytestmark = pytest.mark.integration


def _days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_an_alert_reaches_the_endpoint_signed_once_per_change(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        receiver = WebhookReceiver(stack.clock)
        await receiver.start()
        try:
            kinds = ["alert.opened", "alert.updated", "alert.resolved", "health.band_changed"]
            receiver.secrets.append(await stack.subscribe(receiver.url, kinds))
            await stack.send(profile("hooked", name="Hooked Inc", owner="sam"))
            tickets = [ticket("hooked", f"h{n}", "phone", _days_ago(3 - n)) for n in range(3)]
            await stack.send(*tickets)
            [opened] = await receiver.wait_for(1)
            assert opened.verified_with == receiver.secrets
            body = opened.json
            assert body["type"] == "alert.opened"
            data = body["data"]
            assert data["account_id"] == "hooked"
            assert data["reason"].startswith("Hooked Inc: 3 phone calls to support in 14 days (")
            assert data["count"] == 3
            assert len(data["evidence"]) == 3
            assert data["playbook"]["name"] == "Support escalation"
            assert data["playbook"]["tasks"][0]["owner"] == "sam"
            assert data["links"]["self"] == f"/v1/alerts/{data['alert_id']}"

            # The same events again (ingest retried): no second alert, no message.
            await stack.send(*tickets)
            await stack.send(ticket("hooked", "h9", "phone", _days_ago(0.1)))
            _, updated = await receiver.wait_for(2)
            assert updated.json["type"] == "alert.updated"
            assert updated.json["data"]["count"] == 4
            assert updated.webhook_id != opened.webhook_id

            resolved = await stack.alerts.post(
                f"/v1/alerts/{data['alert_id']}/resolve", headers=ADMIN_KEY
            )
            assert resolved.status_code == 200
            *_, done = await receiver.wait_for(3)
            assert done.json["type"] == "alert.resolved"
            assert done.json["data"]["resolution"] == "manual"

            topics = Topics(stack.settings.topic_prefix)
            score = {
                "id": "hs_hooked_1",
                "account_id": "hooked",
                "score": 41.0,
                "band": "red",
                "previous_score": 62.0,
                "previous_band": "yellow",
                "segment": "low_touch",
                "computed_at": datetime.now(UTC).isoformat(),
            }
            message = OutgoingMessage(topics.health_scores, b"hooked", orjson.dumps(score))
            await produce(stack.settings, [message])
            received = await receiver.wait_for(4)
            band = next(r.json for r in received if r.json["type"] == "health.band_changed")
            assert (band["data"]["previous_band"], band["data"]["band"]) == ("yellow", "red")
            assert all(r.verified_with for r in received)
            assert len({r.webhook_id for r in received}) == len(received)
        finally:
            await receiver.stop()


async def test_alerts_from_ingest_verify_before_during_and_after_a_secret_rotation(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        receiver = WebhookReceiver(stack.clock)
        await receiver.start()
        try:
            old = await stack.subscribe(receiver.url, ["alert.opened"])
            receiver.secrets.append(old)
            subscription = (await stack.alerts.get("/v1/webhooks", headers=ADMIN_KEY)).json()
            [sub] = [s for s in subscription["webhooks"] if s["url"] == receiver.url]

            async def trip(account: str) -> None:
                when = [_days_ago(1 - n / 10) for n in range(3)]
                await stack.send(
                    *(ticket(account, f"{account}{n}", "phone", when[n]) for n in range(3))
                )

            await trip("rot-before")
            await receiver.wait_for(1)
            rotated = await stack.alerts.post(
                f"/v1/webhooks/{sub['id']}/rotate-secret",
                params={"overlap": 3600},
                headers=ADMIN_KEY,
            )
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()["secret"]
            receiver.secrets.append(new)
            await trip("rot-during")
            await receiver.wait_for(2)
            stack.clock.advance(timedelta(hours=1, seconds=1))
            await trip("rot-after")
            before, during, after = await receiver.wait_for(3)
            assert before.verified_with == [old]
            assert during.verified_with == [old, new]
            assert after.verified_with == [new]
            assert [r.json["data"]["account_id"] for r in (before, during, after)] == [
                "rot-before",
                "rot-during",
                "rot-after",
            ]
        finally:
            await receiver.stop()
