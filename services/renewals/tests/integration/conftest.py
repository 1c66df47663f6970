"""Fixtures of renewals' integration tests: renewals and ingest apps on the real broker and
PostgreSQL, in this process, each test on a database of its own (figures are sums over
every stored account), with a clock the test moves forward."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import create_database, drop_database
from pulse.devtools.testing.clock import MovableClock
from pulse.devtools.testing.kafka import produce
from pulse.devtools.testing.plugin import INGEST_KEY, READ_KEY, settings_for_tests
from pulse.ingest import app as ingest_app
from pulse.ingest.config import IngestSettings
from pulse.renewals import app as renewals_app
from pulse.renewals.config import RenewalsSettings

#: Reporting EUR; one US dollar buys 0.90 euros from 2020 on.
RATES_YAML = "USD:\n  - {valid_from: 2020-01-01, rate: '0.90'}\n"


@dataclass
class RenewalsStack:
    """Running apps, their clients, and the clock."""

    renewals: httpx.AsyncClient
    ingest: httpx.AsyncClient
    clock: MovableClock
    settings: Settings
    app: FastAPI

    @property
    def topics(self) -> Topics:
        """This test's topics."""
        return Topics(self.settings.topic_prefix)

    @property
    def today(self) -> date:
        """The day renewals evaluates on."""
        return self.clock().date()

    async def send(self, *events: dict[str, Any]) -> None:
        """Post events through ingest; every one must be accepted."""
        response = await self.ingest.post("/v1/events", json=list(events), headers=INGEST_KEY)
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == len(events), response.text

    async def send_scores(self, *bodies: dict[str, Any]) -> None:
        """Produce score messages as health publishes them."""
        topic = self.topics.health_scores
        await produce(
            self.settings,
            [OutgoingMessage(topic, b["account_id"].encode(), orjson.dumps(b)) for b in bodies],
        )

    async def get(self, path: str, **params: Any) -> httpx.Response:
        """GET a renewals route with a read key."""
        return await self.renewals.get(path, params=params, headers=READ_KEY)

    async def until(
        self, path: str, holds: Callable[[dict[str, Any]], bool], **params: Any
    ) -> dict[str, Any]:
        """The body of `path` once `holds(body)` (fails after 30 s)."""
        body: dict[str, Any] = {}
        for _ in range(300):
            response = await self.get(path, **params)
            assert response.status_code == 200, response.text
            body = response.json()
            if holds(body):
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"{path} {params}: condition never held; last seen {body}")


StackFactory = Callable[..., AbstractAsyncContextManager[RenewalsStack]]


@pytest.fixture
def own_database(
    pulse_postgres_server_url: str, pulse_kafka_bootstrap: str, topic_prefix: str
) -> Iterator[Settings]:
    """Settings on a database of this test's own."""
    name = f"pulse_r_{uuid.uuid4().hex[:12]}"
    url = create_database(pulse_postgres_server_url, name)
    try:
        yield settings_for_tests(pulse_kafka_bootstrap, url, topic_prefix)
    finally:
        drop_database(pulse_postgres_server_url, name)


@pytest.fixture
def renewals_stack(own_database: Settings, tmp_path: Path) -> StackFactory:
    """Start ingest and renewals (migrated, topics created, reporting EUR with USD at
    0.90); `async with renewals_stack() as s`."""
    settings = own_database

    @asynccontextmanager
    async def start(
        clock: MovableClock | None = None, rates: str | None = RATES_YAML, **config: Any
    ) -> AsyncIterator[RenewalsStack]:
        for module in (renewals_app, ingest_app):
            await asyncio.to_thread(
                upgrade_to_head,
                settings,
                schema=module.SCHEMA,
                migrations_dir=module.MIGRATIONS_DIR,
            )
        await ensure_topics(settings, Topics(settings.topic_prefix).all)
        rates_file = None
        if rates is not None:
            rates_file = tmp_path / "rates.yaml"
            rates_file.write_text(rates)
        clock = clock or MovableClock()
        renewals_config = RenewalsSettings(
            reporting_currency="EUR", rates_file=rates_file, tick_s=0.2, **config
        )
        renewals = renewals_app.create_app(settings, renewals_config, clock)
        ingest = ingest_app.create_app(settings, IngestSettings())
        async with AsyncExitStack() as stack:
            clients = []
            for name, app in (("renewals", renewals), ("ingest", ingest)):
                await stack.enter_async_context(app.router.lifespan_context(app))
                client = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
                )
                clients.append(await stack.enter_async_context(client))
            yield RenewalsStack(clients[0], clients[1], clock, settings, renewals)

    return start


def days_ago(days: float) -> str:
    """An event time `days` before now, as ingest takes it."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def profile(
    account: str, days_back: float = 20, event_id: str | None = None, **data: Any
) -> dict[str, Any]:
    """An account.updated with `data` (currency, renewal_date, segment, owner...)."""
    event: dict[str, Any] = {
        "type": "account.updated",
        "account_id": account,
        "occurred_at": days_ago(days_back),
        "data": data,
    }
    if event_id is not None:
        event["id"] = event_id
    return event


def contract(
    account: str,
    change: str,
    arr_after: str,
    effective_at: str,
    event_id: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    """A contract.changed leaving `arr_after` in force from `effective_at`."""
    event: dict[str, Any] = {
        "type": "contract.changed",
        "account_id": account,
        "occurred_at": days_ago(1),
        "data": {"change": change, "arr_after": arr_after, "effective_at": effective_at, **data},
    }
    if event_id is not None:
        event["id"] = event_id
    return event


def score(account: str, n: int, value: float, band: str, hours_back: float) -> dict[str, Any]:
    """A `pulse.health.scores` message as health publishes it."""
    return {
        "id": f"hs_{account}_{n}",
        "account_id": account,
        "score": value,
        "band": band,
        "previous_score": None,
        "previous_band": None,
        "segment": None,
        "model_version": "v1",
        "computed_at": (datetime.now(UTC) - timedelta(hours=hours_back)).isoformat(),
        "top_drivers": [],
    }


def in_days(stack: RenewalsStack, days: int) -> str:
    """The date `days` after the stack's today."""
    return (stack.today + timedelta(days=days)).isoformat()
