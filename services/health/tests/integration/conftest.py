"""Fixtures of health's integration tests: health (and ingest) apps on the real broker and
PostgreSQL, in this process, with a clock the test moves forward."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pulse.common.db.engine import create_engine
from pulse.common.settings import Settings
from pulse.devtools.testing.clock import MovableClock
from pulse.devtools.testing.in_process import prepare, serving
from pulse.devtools.testing.plugin import READ_KEY
from pulse.health import app as health_app
from pulse.health.config import HealthSettings
from pulse.ingest import app as ingest_app
from pulse.ingest.config import IngestSettings


@dataclass
class HealthStack:
    """Running apps and their clients."""

    health: httpx.AsyncClient
    ingest: httpx.AsyncClient
    clock: MovableClock
    settings: Settings

    async def score(
        self, account_id: str, until: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The account's health once it exists and `until(body)` holds (fails after 60 s)."""
        body: dict[str, Any] = {}
        for _ in range(600):
            response = await self.health.get(f"/v1/accounts/{account_id}/health", headers=READ_KEY)
            if response.status_code == 200:
                body = response.json()
                if until(body):
                    return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"{account_id}: condition never held; last seen {body}")

    async def sql(self, statement: str) -> list[Any]:
        """Run one statement in health's schema and commit; the first column of its rows."""
        engine = create_engine(self.settings, schema=health_app.SCHEMA)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement))
                return list(result.scalars().all()) if result.returns_rows else []
        finally:
            await engine.dispose()


StackFactory = Callable[..., AbstractAsyncContextManager[HealthStack]]


@pytest.fixture
def health_stack(pulse_settings: Settings) -> StackFactory:
    """Start ingest and health (migrated, topics created); `async with health_stack() as s`.

    Health re-scores due accounts every 0.2 s here, so time-driven changes show at once.
    """

    @asynccontextmanager
    async def start(tick_s: float = 0.2, **health_config: Any) -> AsyncIterator[HealthStack]:
        await prepare(pulse_settings, (health_app, ingest_app))
        clock = MovableClock()
        health = health_app.create_app(
            pulse_settings, HealthSettings(tick_s=tick_s, **health_config), clock=clock
        )
        ingest = ingest_app.create_app(pulse_settings, IngestSettings())
        async with serving({"health": health, "ingest": ingest}) as clients:
            yield HealthStack(clients["health"], clients["ingest"], clock, pulse_settings)

    return start
