"""Vendor webhooks through the real route: signatures, account mapping, references, topics."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import ADMIN_KEY, INGEST_KEY

pytestmark = pytest.mark.integration

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
FIXTURES = Path(__file__).parents[1] / "fixtures"
STRIPE_SECRET = "whsec_test_secret"


def stripe_event(name: str, event_id: str, **metadata: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / f"stripe_{name}.json").read_text())
    event["id"] = event_id
    event["created"] = int(time.time()) - 60
    event["data"]["object"]["metadata"] = dict(metadata)
    return event


def stripe_signed(
    body: bytes, secret: str = STRIPE_SECRET, at: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


async def produced(settings: Settings, at_least: int) -> list[dict[str, Any]]:
    records = await read_topics(
        settings.kafka_bootstrap_servers,
        Topics(settings.topic_prefix).all_events,
        at_least=at_least,
        idle_s=0.5,
    )
    return [orjson.loads(r.value or b"") | {"key": r.key} for r in records]


async def test_signed_stripe_webhook_lands_and_a_bad_signature_produces_nothing(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    good = orjson.dumps(stripe_event("invoice.paid", "evt_good", account_id="acme"))
    forged = orjson.dumps(stripe_event("invoice.paid", "evt_forged", account_id="acme"))
    stale = orjson.dumps(stripe_event("invoice.paid", "evt_stale", account_id="acme"))
    async with ingest_client(stripe_signing_secret=STRIPE_SECRET) as client:
        ok = await client.post("/v1/sources/stripe", content=good, headers=stripe_signed(good))
        bad = await client.post(
            "/v1/sources/stripe", content=forged, headers=stripe_signed(forged, "whsec_wrong")
        )
        old = await client.post(
            "/v1/sources/stripe",
            content=stale,
            headers=stripe_signed(stale, at=int(time.time()) - 3600),
        )
        unsigned = await client.post("/v1/sources/stripe", content=good, headers=INGEST_KEY)
    assert ok.status_code == 202, ok.text
    assert ok.json()["accepted"] == 1
    assert [bad.status_code, old.status_code, unsigned.status_code] == [401, 401, 401]
    assert "signature" in bad.json()["error"]["message"]
    messages = await produced(pulse_settings, 1)
    assert [(m["type"], m["account_id"], m["key"]) for m in messages] == [
        ("invoice.paid", "acme", b"acme")
    ]
    assert messages[0]["id"] == ok.json()["ids"][0]


async def test_unmapped_customer_is_reported_then_mapped_by_reference(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    event = stripe_event("invoice.paid", "evt_unmapped")
    customer = event["data"]["object"]["customer"] = "cus_never_seen"  # DB is per module
    async with ingest_client() as client:
        first = await client.post("/v1/sources/stripe", json=event, headers=INGEST_KEY)
        mapped = await client.put(
            f"/v1/sources/stripe/references/customer/{customer}",
            json={"account_id": "globex"},
            headers=ADMIN_KEY,
        )
        forbidden = await client.put(
            f"/v1/sources/stripe/references/customer/{customer}",
            json={"account_id": "globex"},
            headers=INGEST_KEY,
        )
        listed = await client.get("/v1/sources/stripe/references", headers=ADMIN_KEY)
        second = await client.post("/v1/sources/stripe", json=event, headers=INGEST_KEY)
        removed = await client.delete(
            f"/v1/sources/stripe/references/customer/{customer}", headers=ADMIN_KEY
        )
        again = await client.delete(
            f"/v1/sources/stripe/references/customer/{customer}", headers=ADMIN_KEY
        )
    assert first.status_code == 202
    body = first.json()
    assert body["accepted"] == 0
    assert len(body["rejected"]) == 1
    reason = body["rejected"][0]["errors"][0]
    assert customer in reason["message"]
    assert mapped.status_code == 200
    assert forbidden.status_code == 403
    assert {"kind": "customer", "reference": customer, "account_id": "globex"} in listed.json()[
        "references"
    ]
    assert second.json()["accepted"] == 1
    assert (removed.status_code, again.status_code) == (204, 404)
    messages = await produced(pulse_settings, 1)
    assert [m["account_id"] for m in messages] == ["globex"]


async def test_metadata_teaches_the_customer_mapping(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    taught = stripe_event("invoice.paid", "evt_teach", account_id="initech")
    later = stripe_event("invoice.payment_failed", "evt_later")
    later["data"]["object"]["customer"] = taught["data"]["object"]["customer"]
    async with ingest_client() as client:
        await client.post("/v1/sources/stripe", json=taught, headers=INGEST_KEY)
        listed = await client.get("/v1/sources/stripe/references", headers=ADMIN_KEY)
    customer = taught["data"]["object"]["customer"]
    mapped = {r["reference"]: r["account_id"] for r in listed.json()["references"]}
    assert mapped[customer] == "initech"


async def test_a_reference_holding_a_nul_is_neither_looked_up_nor_stored(
    ingest_client: IngestClientFactory,
) -> None:
    # JSON and URLs carry U+0000; PostgreSQL's text cannot: once, each of these was a 500.
    event = stripe_event("invoice.paid", "evt_nul_customer", account_id="acme")
    event["data"]["object"]["customer"] = "cus_\x00nul"
    path = "/v1/sources/stripe/references/customer/cus_%00nul"
    async with ingest_client() as client:
        webhook = await client.post("/v1/sources/stripe", json=event, headers=INGEST_KEY)
        put = await client.put(path, json={"account_id": "acme"}, headers=ADMIN_KEY)
        deleted = await client.delete(path, headers=ADMIN_KEY)
        listed = await client.get("/v1/sources/stripe/references", headers=ADMIN_KEY)
    assert webhook.status_code == 202, webhook.text
    assert webhook.json()["accepted"] == 1  # its account from metadata; the customer not learned
    assert put.status_code == 422
    assert put.json()["error"]["details"][0]["path"] == "path.reference"
    assert deleted.status_code == 404
    assert all("\x00" not in ref["reference"] for ref in listed.json()["references"])


async def test_not_a_vendor_payload_is_422_and_unknown_source_404(
    ingest_client: IngestClientFactory,
) -> None:
    async with ingest_client() as client:
        wrong = await client.post("/v1/sources/stripe", json={"hello": 1}, headers=INGEST_KEY)
        unknown = await client.post("/v1/sources/hubspot", json={}, headers=INGEST_KEY)
        broken = await client.post("/v1/sources/stripe", content=b"{", headers=INGEST_KEY)
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["path"] is not None
    assert unknown.status_code in {404, 405}
    assert broken.status_code == 400


def fixture(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return loaded


async def test_segment_group_teaches_user_accounts_across_requests(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    secret = "segment-shared"
    group = fixture("segment/group.json") | {"groupId": "initech"}
    track = fixture("segment/track.json") | {"userId": group["userId"], "messageId": "m-after"}
    track["context"] = {k: v for k, v in track["context"].items() if k != "groupId"}
    async with ingest_client(segment_shared_secret=secret) as client:
        for payload in (group, track):
            body = orjson.dumps(payload)
            signature = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
            response = await client.post(
                "/v1/sources/segment", content=body, headers={"X-Signature": signature}
            )
            assert response.status_code == 202, response.text
        unsigned = await client.post("/v1/sources/segment", content=body)
    assert unsigned.status_code == 401
    messages = await produced(pulse_settings, 2)
    by_type = {m["type"]: m for m in messages}
    assert by_type["account.updated"]["account_id"] == "initech"
    assert by_type["usage.activity"]["account_id"] == "initech"
    assert by_type["usage.activity"]["data"]["feature"] == track["event"]


async def test_statuspage_incident_fans_out_to_the_component_accounts(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    incident = fixture("statuspage/incident_investigating.json")
    components = [c["id"] for c in incident["incident"]["components"]]
    mapping = {components[0]: ["acme", "globex"]}
    async with ingest_client(
        statuspage_token="sp-token", statuspage_component_accounts=mapping
    ) as client:
        response = await client.post(
            "/v1/sources/statuspage", json=incident, headers={"X-Pulse-Webhook-Token": "sp-token"}
        )
        wrong = await client.post(
            "/v1/sources/statuspage", json=incident, headers={"X-Pulse-Webhook-Token": "nope"}
        )
    assert response.status_code == 202, response.text
    assert wrong.status_code == 401
    messages = await produced(pulse_settings, 2)
    assert sorted((m["type"], m["account_id"]) for m in messages) == [
        ("outage.started", "acme"),
        ("outage.started", "globex"),
    ]


async def test_zendesk_ticket_for_a_mapped_organization(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    created = fixture("zendesk/event_ticket_created.json")
    organization = created["detail"]["organization_id"]
    async with ingest_client() as client:
        await client.put(
            f"/v1/sources/zendesk/references/organization/{organization}",
            json={"account_id": "acme"},
            headers=ADMIN_KEY,
        )
        response = await client.post("/v1/sources/zendesk", json=created, headers=INGEST_KEY)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    messages = await produced(pulse_settings, 1)
    assert messages[0]["type"] == "support.ticket.opened"
    assert messages[0]["account_id"] == "acme"
    assert messages[0]["data"]["priority"] == "high"
