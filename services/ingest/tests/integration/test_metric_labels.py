"""Client input never becomes a metric label: `/metrics` keeps its series however many
distinct bad fields, paths or methods arrive."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pulse.devtools.samples import rfc3339
from pulse.devtools.testing.plugin import INGEST_KEY

pytestmark = pytest.mark.integration

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def bad_items(first: int, count: int) -> list[dict[str, object]]:
    """Valid usage events but for one unknown field each, named differently every time."""
    at = rfc3339(datetime.now(UTC) - timedelta(minutes=5))
    return [
        {"type": "usage.activity", "account_id": "acme", "occurred_at": at,
         "data": {"user_id": "u1"}, f"field_{n}": 1}
        for n in range(first, first + count)
    ]  # fmt: skip


async def series(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`: (name, labels) → value."""
    text = (await client.get("/metrics")).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def rejected(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    key = (
        "pulse_ingest_events_rejected_total",
        (("reason", "unknown_field"), ("type", "usage.activity")),
    )
    return samples.get(key, 0.0)


async def test_ten_thousand_bad_fields_and_a_thousand_unknown_paths_add_no_series(
    ingest_client: IngestClientFactory,
) -> None:
    async with ingest_client() as client:
        # One of each kind first, so every series the rest may touch exists.
        await client.post("/v1/events", json=bad_items(0, 1), headers=INGEST_KEY)
        await client.get("/no-such-path")
        await client.request("BREW", "/no-such-path")
        await client.get("/metrics")
        before = await series(client)
        for first in range(1, 10_001, 1000):
            response = await client.post(
                "/v1/events", json=bad_items(first, 1000), headers=INGEST_KEY
            )
            assert response.json()["accepted"] == 0
        for n in range(1000):
            method = "GET" if n % 2 else f"M{n}"
            assert (await client.request(method, f"/unknown/{n}/path")).status_code in {404, 405}
        after = await series(client)
    assert set(after) == set(before)
    assert rejected(after) - rejected(before) == 10_000
