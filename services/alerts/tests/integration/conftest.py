"""Fixtures of alerts' integration tests: alerts and ingest apps on the real broker and
PostgreSQL, in this process, with a clock the test moves forward."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pulse.alerts import app as alerts_app
from pulse.alerts.config import AlertsSettings
from pulse.alerts.delivery.config import WebhookSettings
from pulse.common.settings import Settings
from pulse.devtools.testing.clock import MovableClock
from pulse.devtools.testing.in_process import prepare, serving
from pulse.devtools.testing.plugin import ADMIN_KEY, INGEST_KEY
from pulse.ingest import app as ingest_app
from pulse.ingest.config import IngestSettings


@dataclass
class AlertsStack:
    """Running apps, their clients, and the alerts app itself."""

    alerts: httpx.AsyncClient
    ingest: httpx.AsyncClient
    clock: MovableClock
    settings: Settings
    app: FastAPI

    async def send(self, *events: dict[str, Any]) -> None:
        """Post events through ingest; every one must be accepted."""
        response = await self.ingest.post("/v1/events", json=list(events), headers=INGEST_KEY)
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == len(events), response.text

    async def subscribe(self, url: str, event_types: list[str]) -> str:
        """Subscribe `url` to `event_types`; the signing secret, shown once."""
        body = {"url": url, "event_types": event_types}
        response = await self.alerts.post("/v1/webhooks", json=body, headers=ADMIN_KEY)
        assert response.status_code == 201, response.text
        secret: str = response.json()["secret"]
        return secret

    async def alerts_of(
        self,
        account_id: str,
        until: Callable[[list[dict[str, Any]]], bool] = bool,
        **params: str,
    ) -> list[dict[str, Any]]:
        """The account's alerts once `until(alerts)` holds (fails after 30 s)."""
        found: list[dict[str, Any]] = []
        for _ in range(300):
            response = await self.alerts.get(
                "/v1/alerts", params={"account_id": account_id, **params}, headers=ADMIN_KEY
            )
            assert response.status_code == 200, response.text
            found = response.json()["alerts"]
            if until(found):
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"{account_id}: condition never held; last seen {found}")


StackFactory = Callable[..., AbstractAsyncContextManager[AlertsStack]]


@pytest.fixture
def alerts_stack(pulse_settings: Settings) -> StackFactory:
    """Start ingest and alerts (migrated, topics created); `async with alerts_stack() as s`.

    Alerts ticks every 0.2 s here, so time-driven changes show at once.
    """

    @asynccontextmanager
    async def start(
        tick_s: float = 0.2, clock: MovableClock | None = None, **config: Any
    ) -> AsyncIterator[AlertsStack]:
        await prepare(pulse_settings, (alerts_app, ingest_app))
        clock = clock or MovableClock()
        webhooks = WebhookSettings(allow_private=True, poll_interval_s=0.2)
        alerts = alerts_app.create_app(
            pulse_settings, AlertsSettings(tick_s=tick_s, **config), clock, webhooks, clock
        )
        ingest = ingest_app.create_app(pulse_settings, IngestSettings())
        async with serving({"alerts": alerts, "ingest": ingest}) as clients:
            yield AlertsStack(clients["alerts"], clients["ingest"], clock, pulse_settings, alerts)

    return start


def at(moment: datetime) -> str:
    """An event time as ingest takes it."""
    return moment.isoformat()


def ticket(account: str, ticket_id: str, channel: str, when: datetime) -> dict[str, Any]:
    """A support ticket opened on `channel` at `when`."""
    return {
        "type": "support.ticket.opened",
        "account_id": account,
        "occurred_at": at(when),
        "data": {"ticket_id": ticket_id, "priority": "normal", "channel": channel},
    }


def profile(account: str, **data: Any) -> dict[str, Any]:
    """An account.updated with `data` (segment, owner, name...)."""
    return {
        "type": "account.updated",
        "account_id": account,
        "occurred_at": at(datetime.now(UTC) - timedelta(days=20)),
        "data": data,
    }
