"""A Statuspage outage reaches every known account, however many: beyond the 10,000 one
envelope may name, and with an answer that counts the copies instead of listing them."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import insert, select

from pulse.common.db.engine import create_engine
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import INGEST_KEY
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA
from pulse.ingest.tables import known_accounts

pytestmark = pytest.mark.integration

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
FIXTURES = Path(__file__).parents[1] / "fixtures"
KNOWN = 12_345  # over the 10,000 accounts one outage envelope may name


async def seed_known_accounts(settings: Settings, count: int) -> set[str]:
    """Store `count` known accounts as earlier requests would have; every one stored."""
    await asyncio.to_thread(upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    engine = create_engine(settings, schema=SCHEMA)
    try:
        async with engine.begin() as connection:
            rows = [{"account_id": f"acct-{n:05d}"} for n in range(count)]
            await connection.execute(insert(known_accounts), rows)
            return set(await connection.scalars(select(known_accounts.c.account_id)))
    finally:
        await engine.dispose()


async def test_an_outage_reaches_every_one_of_over_ten_thousand_known_accounts(
    ingest_client: IngestClientFactory, pulse_settings: Settings
) -> None:
    known = await seed_known_accounts(pulse_settings, KNOWN)
    incident = json.loads((FIXTURES / "statuspage/incident_investigating.json").read_text())
    incident["incident"]["created_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    async with ingest_client() as client:  # no component mapping: every known account
        response = await client.post("/v1/sources/statuspage", json=incident, headers=INGEST_KEY)
    assert response.status_code == 202, response.text
    body = response.json()
    outage_id = f"statuspage:incident:{incident['incident']['id']}:started"
    assert (body["accepted"], body["rejected"]) == (len(known), [])
    assert body["ids"] == [outage_id]
    assert body["fanned_out"] == [{"id": outage_id, "accounts": len(known)}]
    assert len(response.content) < 1024  # counts, not 12,345 ids
    records = await read_topics(
        pulse_settings.kafka_bootstrap_servers,
        [Topics(pulse_settings.topic_prefix).for_event_type("outage.started")],
        at_least=len(known),
        idle_s=1.0,
        timeout_s=120,
    )
    reached = Counter(orjson.loads(r.value or b"")["account_id"] for r in records)
    assert set(reached) == known
    assert set(reached.values()) == {1}
