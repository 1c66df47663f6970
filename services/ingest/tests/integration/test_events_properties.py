"""Property test through the real route: every valid event is accepted, every mutated one is
rejected at the right path, and neither disturbs the other."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.testing.plugin import INGEST_KEY
from pulse.devtools.testing.strategies import raw_events
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA, create_app
from pulse.ingest.config import IngestSettings

pytestmark = pytest.mark.integration

#: Mutations and the path each must be reported at.
MUTATIONS: dict[str, tuple[str, Any]] = {
    "unknown_type": ("type", lambda e: e | {"type": "usage.teleported"}),
    "bad_account": ("account_id", lambda e: e | {"account_id": "acme corp"}),
    "bad_time": ("occurred_at", lambda e: e | {"occurred_at": "last tuesday"}),
    "future": ("occurred_at", lambda e: e | {"occurred_at": "2099-01-01T00:00:00Z"}),
    "extra_field": ("colour", lambda e: e | {"colour": "blue"}),
    "data_not_object": ("data", lambda e: e | {"data": "nothing"}),
}


def _recent(event: dict[str, Any]) -> dict[str, Any]:
    # The strategies are relative to a fixed clock; ingest checks against the real one.
    return event | {"occurred_at": datetime.now(UTC).isoformat()}


def test_valid_accepted_and_mutated_rejected_at_the_path(pulse_settings: Settings) -> None:
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    client = loop.run_until_complete(_start(stack, pulse_settings))
    try:

        @given(
            items=st.lists(
                st.tuples(raw_events(), st.sampled_from([None, *MUTATIONS])),
                min_size=1,
                max_size=20,
            )
        )
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(items: list[tuple[dict[str, Any], str | None]]) -> None:
            batch, expected = [], {}
            for index, (event, mutation) in enumerate(items):
                event = _recent(event)
                if mutation is not None:
                    path, mutate = MUTATIONS[mutation]
                    event = mutate(event)
                    expected[index] = path
                batch.append(event)
            response = loop.run_until_complete(
                client.post("/v1/events", json={"events": batch}, headers=INGEST_KEY)
            )
            assert response.status_code == 202, response.text
            body = response.json()
            got = {r["index"]: [e["path"] for e in r["errors"]] for r in body["rejected"]}
            assert set(got) == set(expected)
            for index, path in expected.items():
                assert path in got[index], (index, got[index])
            # An outage fanned out is listed once by its id; its copies are counted.
            copies = sum(f["accounts"] for f in body["fanned_out"])
            assert len(body["ids"]) - len(body["fanned_out"]) + copies == body["accepted"]
            if len(expected) < len(batch):  # at least one valid event went through
                assert body["accepted"] >= 1

        check()
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


async def _start(stack: AsyncExitStack, settings: Settings) -> httpx.AsyncClient:
    await asyncio.to_thread(upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    await ensure_topics(settings, Topics(settings.topic_prefix).all)
    app = create_app(settings, IngestSettings())
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://ingest")
    )
