"""`POST /v1/events` against the real broker: every status code, every rejection, the topics."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from pulse.common.settings import Settings
from pulse.common.topics import DOMAIN_OF_TYPE, Topics
from pulse.devtools.samples import SampleEvents, rfc3339
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import INGEST_KEY, READ_KEY

pytestmark = pytest.mark.integration

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def recent(minutes: int = 5) -> str:
    return rfc3339(datetime.now(UTC) - timedelta(minutes=minutes))


def usage(account: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "type": "usage.activity",
        "account_id": account,
        "occurred_at": recent(),
        "data": {"user_id": "u1", "feature": "reports"},
        **extra,
    }


async def on_topics(settings: Settings, at_least: int) -> list[dict[str, Any]]:
    records = await read_topics(
        settings.kafka_bootstrap_servers,
        Topics(settings.topic_prefix).all_events,
        at_least=at_least,
        idle_s=0.5,
    )
    return [
        {"topic": r.topic, "partition": r.partition, "key": r.key, **orjson.loads(r.value or b"")}
        for r in records
    ]


async def test_batch_lands_on_domain_topics_keyed_by_account_normalised(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    samples = SampleEvents(seed=3, accounts=40)
    events = samples.mixed(300)
    events[0] = {
        "type": " Support.Ticket.Opened ",
        "account_id": "  acme  ",
        "occurred_at": "2026-11-20T12:00:00+02:00",
        "data": {"ticket_id": " t-1 ", "priority": "URGENT", "channel": "Phone"},
    }
    async with ingest_client() as client:
        response = await client.post("/v1/events", json={"events": events}, headers=INGEST_KEY)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 300
    assert body["rejected"] == []
    assert len(set(body["ids"])) == 300
    produced = await on_topics(pulse_settings, 300)
    assert sorted(m["id"] for m in produced) == sorted(body["ids"])
    partitions_of: dict[str, set[tuple[str, int]]] = {}
    for message in produced:
        assert message["key"] == message["account_id"].encode()
        assert (
            message["topic"]
            == f"{pulse_settings.topic_prefix}.events." + DOMAIN_OF_TYPE[message["type"]]
        )
        partitions_of.setdefault(message["account_id"], set()).add(
            (message["topic"], message["partition"])
        )
    # One account, one partition per topic: its events stay in order.
    for placements in partitions_of.values():
        topics = [topic for topic, _ in placements]
        assert len(topics) == len(set(topics))
    first = next(m for m in produced if m["id"] == body["ids"][0])
    assert first["type"] == "support.ticket.opened"
    assert first["account_id"] == "acme"
    assert first["occurred_at"] == "2026-11-20T10:00:00Z"
    assert first["data"] == {"ticket_id": "t-1", "priority": "urgent", "channel": "phone"}


async def test_single_envelope_ndjson_and_gzip(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    async with ingest_client() as client:
        single = await client.post("/v1/events", json=usage("one"), headers=INGEST_KEY)
        lines = b"\n".join(orjson.dumps(usage(f"nd-{i}")) for i in range(3)) + b"\n"
        ndjson = await client.post(
            "/v1/events",
            content=lines,
            headers={**INGEST_KEY, "Content-Type": "application/x-ndjson"},
        )
        zipped = await client.post(
            "/v1/events",
            content=gzip.compress(orjson.dumps({"events": [usage("gz")]})),
            headers={**INGEST_KEY, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert [single.status_code, ndjson.status_code, zipped.status_code] == [202, 202, 202]
    assert ndjson.json()["accepted"] == 3
    produced = await on_topics(pulse_settings, 5)
    assert Counter(m["account_id"] for m in produced) == Counter(
        ["one", "nd-0", "nd-1", "nd-2", "gz"]
    )


async def test_invalid_items_are_reported_one_by_one_and_the_rest_is_produced(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    future = rfc3339(datetime.now(UTC) + timedelta(hours=25))
    items: list[Any] = [
        usage("good-1"),
        {**usage(), "type": "usage.exploded"},
        {**usage(), "id": "bad-time", "occurred_at": "yesterday"},
        {**usage(), "occurred_at": future},
        {**usage(), "account_id": "acme corp"},
        {**usage(), "data": {"user_id": 42}},
        {**usage(), "extra": True},
        {
            "type": "invoice.issued",
            "account_id": "acme",
            "occurred_at": recent(),
            "data": {"invoice_id": "i", "amount": "-5", "currency": "XYZ", "due_at": recent()},
        },
        [1, 2],
        usage("good-2"),
    ]
    async with ingest_client() as client:
        response = await client.post("/v1/events", json={"events": items}, headers=INGEST_KEY)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    paths = {r["index"]: [e["path"] for e in r["errors"]] for r in body["rejected"]}
    assert paths == {
        1: ["type"],
        2: ["occurred_at"],
        3: ["occurred_at"],
        4: ["account_id"],
        5: ["data.user_id"],
        6: ["extra"],
        7: ["data.amount", "data.currency"],
        8: [""],
    }
    assert body["rejected"][1]["id"] == "bad-time"
    produced = await on_topics(pulse_settings, 2)
    assert sorted(m["account_id"] for m in produced) == ["good-1", "good-2"]


async def test_outage_fans_out_per_affected_account(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    outage = {
        "type": "outage.started",
        "account_id": "ops",
        "occurred_at": recent(),
        "data": {
            "incident_id": "inc-9",
            "severity": "critical",
            "affected_account_ids": ["a", "b"],
        },
    }
    async with ingest_client() as client:
        response = await client.post("/v1/events", json=outage, headers=INGEST_KEY)
    assert response.json()["accepted"] == 2
    produced = await on_topics(pulse_settings, 2)
    assert sorted((m["account_id"], m["key"]) for m in produced) == [("a", b"a"), ("b", b"b")]
    assert all(m["data"].get("affected_account_ids", []) == [] for m in produced)


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"events": [', {}, 400, "malformed_body"),
        (b'{"events": {}}', {}, 400, "malformed_body"),
        (b'{"events": []}', {}, 400, "malformed_body"),
        (b"{}", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        (b"{}", {"Content-Encoding": "br"}, 415, "unsupported_media_type"),
        (b"x" * 3000, {}, 413, "too_large"),
        (gzip.compress(b" " * 100_000), {"Content-Encoding": "gzip"}, 413, "too_large"),
    ],
)
async def test_unreadable_bodies(
    ingest_client: IngestClientFactory,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    async with ingest_client(max_body_bytes=2048) as client:
        response = await client.post(
            "/v1/events",
            content=body,
            headers={"Content-Type": "application/json", **INGEST_KEY, **headers},
        )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


async def test_malformed_json_says_where(ingest_client: IngestClientFactory) -> None:
    async with ingest_client() as client:
        response = await client.post(
            "/v1/events", content=b'{"events": [\n {"a": 1,}\n]}', headers=INGEST_KEY
        )
    assert response.status_code == 400
    assert "line 2 column" in response.json()["error"]["message"]


async def test_too_many_events_is_413(ingest_client: IngestClientFactory) -> None:
    async with ingest_client(max_events=3) as client:
        response = await client.post(
            "/v1/events", json={"events": [usage() for _ in range(4)]}, headers=INGEST_KEY
        )
    assert response.status_code == 413
    assert "limit is 3" in response.json()["error"]["message"]


async def test_auth_and_scope(ingest_client: IngestClientFactory) -> None:
    async with ingest_client() as client:
        missing = await client.post("/v1/events", json=usage())
        unknown = await client.post(
            "/v1/events", json=usage(), headers={"Authorization": "Bearer nope"}
        )
        read_only = await client.post("/v1/events", json=usage(), headers=READ_KEY)
    assert (missing.status_code, unknown.status_code, read_only.status_code) == (401, 401, 403)
    assert read_only.json()["error"]["details"]["required_scope"] == "ingest"


async def test_rate_limit_is_429_with_retry_after(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    async with ingest_client(rate_limit_events_per_s=0.5, rate_limit_burst=3) as client:
        first = await client.post(
            "/v1/events", json={"events": [usage("rl-1"), usage("rl-2")]}, headers=INGEST_KEY
        )
        second = await client.post(
            "/v1/events", json={"events": [usage("rl-3"), usage("rl-4")]}, headers=INGEST_KEY
        )
    assert first.status_code == 202
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(second.headers["Retry-After"]) <= 4
    produced = await on_topics(pulse_settings, 2)
    assert sorted(m["account_id"] for m in produced) == ["rl-1", "rl-2"]


async def test_openapi_documents_the_routes(ingest_client: IngestClientFactory) -> None:
    async with ingest_client() as client:
        spec = (await client.get("/openapi.json")).json()
    assert "/v1/events" in spec["paths"]
    for source in ("segment", "stripe", "zendesk", "statuspage"):
        assert f"/v1/sources/{source}" in spec["paths"]
    assert set(spec["paths"]["/v1/events"]["post"]["responses"]) >= {
        "202",
        "400",
        "401",
        "403",
        "413",
        "415",
        "429",
        "503",
    }


async def test_times_before_the_floor_and_dot_account_ids_are_refused_naming_why(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    batch = [
        usage("year-one", occurred_at="0001-01-01T00:00:00Z"),
        usage("before-configured", occurred_at="2019-12-31T23:59:59Z"),
        usage(".."),
        usage("."),
        usage("ok..fine"),
    ]
    async with ingest_client(event_time_floor="2020-01-01T00:00:00Z") as client:
        response = await client.post("/v1/events", json=batch, headers=INGEST_KEY)
        mapped = await client.put(
            "/v1/sources/stripe/references/customer/cus_1",
            json={"account_id": ".."},
            headers={"Authorization": "Bearer admin-secret"},
        )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 1
    errors = {r["index"]: r["errors"] for r in body["rejected"]}
    floor = "is before 2020-01-01T00:00:00Z, the earliest event time accepted"
    assert errors[0][0]["path"] == "occurred_at"
    assert errors[0][0]["message"].startswith(f"timestamp 0001-01-01T00:00:00Z {floor}")
    assert errors[1][0]["message"].startswith(f"timestamp 2019-12-31T23:59:59Z {floor}")
    assert errors[2] == [
        {
            "path": "account_id",
            "message": "account id '..' is made only of dots, which a URL reads as a path "
            "step, so no /v1/accounts/<id> route could name it; use at least one other "
            "character",
        }
    ]
    assert errors[3][0]["message"].startswith("account id '.' is made only of dots")
    assert mapped.status_code == 422
    assert "made only of dots" in mapped.text
    produced = await on_topics(pulse_settings, 1)
    assert [m["account_id"] for m in produced] == ["ok..fine"]
