"""Events on the topics become explained scores over HTTP, once per event id."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import event_to_json, validate_event
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY
from pulse.health.app import MIGRATIONS_DIR, SCHEMA, create_app

pytestmark = pytest.mark.integration


async def test_events_become_an_explained_score(pulse_settings: Settings) -> None:
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    topics = Topics(pulse_settings.topic_prefix)
    await ensure_topics(pulse_settings, topics.all)
    now = datetime.now(UTC)
    raws = [
        {
            "type": "account.updated",
            "account_id": "acme",
            "occurred_at": (now - timedelta(days=3)).isoformat(),
            "data": {
                "segment": "high_touch",
                "arr": "600000",
                "currency": "EUR",
                "licensed_seats": 10,
                "owner": "dana",
            },
        },
        *[
            {
                "type": "usage.activity",
                "account_id": "acme",
                "occurred_at": (now - timedelta(hours=h)).isoformat(),
                "data": {"user_id": f"u{h % 5}", "feature": "reports"},
            }
            for h in range(1, 20)
        ],
        {
            "type": "support.ticket.opened",
            "account_id": "acme",
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
            "data": {"ticket_id": "t1", "priority": "urgent", "channel": "phone"},
        },
    ]
    events = [validate_event(r) for r in raws]
    producer = PulseProducer(pulse_settings, client_id="test")
    await producer.start()
    messages = [
        OutgoingMessage(topics.for_event_type(e.type), e.account_id.encode(), event_to_json(e))
        for e in events
    ]
    await producer.send_and_wait_all(messages + messages)  # every event twice: counted once
    await producer.stop()
    app = create_app(pulse_settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://h"
        ) as client:
            deadline = time.monotonic() + 60
            while True:
                response = await client.get("/v1/accounts/acme/health", headers=READ_KEY)
                if response.status_code == 200 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert response.status_code == 200, response.text
            body = response.json()
            assert 0 <= body["score"] <= 100
            assert body["band"] in {"green", "yellow", "red"}
            assert body["segment"] == "high_touch"
            assert body["owner"] == "dana"
            values = {c["measure"]: c["value"] for c in body["components"]}
            # Every event was produced twice; each id counts once.
            assert values["tickets_opened_30d"] == 1
            assert values["phone_tickets_14d"] == 1
            assert values["open_urgent_tickets"] == 1
            assert values["active_user_ratio"] == pytest.approx(5 / 10)
            missing = await client.get("/v1/accounts/nobody/health", headers=READ_KEY)
            assert missing.status_code == 404
            listed = await client.get("/v1/accounts?band=" + body["band"], headers=READ_KEY)
            assert [a["account_id"] for a in listed.json()["accounts"]] == ["acme"]
            model = await client.get("/v1/scoring-model", headers=ADMIN_KEY)
            assert model.json()["version"] == body["model_version"]
