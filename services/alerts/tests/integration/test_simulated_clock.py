"""Alerts on a simulated clock (`PULSE_SIMULATED_TIME_*`), as `pulse demo` runs it: rules,
alert times and playbook due dates follow the simulated clock, the webhook dispatcher keeps
the wall clock (leases, retry delays and signature timestamps are real-time matters)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from pulse.alerts import app as alerts_app
from pulse.alerts.config import AlertsSettings
from pulse.alerts.delivery.config import WebhookSettings
from pulse.common.settings import Settings
from pulse.devtools.testing.in_process import prepare, serving
from pulse.devtools.testing.plugin import INGEST_KEY, READ_KEY
from pulse.ingest import app as ingest_app
from pulse.ingest.config import IngestSettings

from .conftest import profile, ticket

pytestmark = pytest.mark.integration


@asynccontextmanager
async def simulated_stack(
    settings: Settings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, httpx.AsyncClient]]:
    """Alerts (no clock injected: the settings' clock) and ingest, in this process."""
    await prepare(settings, (alerts_app, ingest_app))
    alerts = alerts_app.create_app(settings, AlertsSettings(tick_s=0.2), None, WebhookSettings())
    ingest = ingest_app.create_app(settings, IngestSettings())
    async with serving({"alerts": alerts, "ingest": ingest}) as clients:
        yield alerts, clients["alerts"], clients["ingest"]


async def test_alerts_open_at_simulated_time_and_webhooks_keep_real_time(
    pulse_settings: Settings,
) -> None:
    wall = datetime.now(UTC)
    # Started 30 days back an hour ago at 1000x: it has long stood still at its end.
    end = wall - timedelta(days=20)
    settings = pulse_settings.model_copy(
        update={
            "simulated_time_start": wall - timedelta(days=30),
            "simulated_time_anchor": wall - timedelta(hours=1),
            "simulated_time_speed": 1000.0,
            "simulated_time_end": end,
        }
    )
    async with simulated_stack(settings) as (app, alerts, ingest):
        assert app.state.alerts.keeper.now() == end
        assert app.state.playbooks.clock() == end
        assert abs(app.state.webhooks.clock() - datetime.now(UTC)) < timedelta(minutes=1)
        # Three phone calls in 14 simulated days; 23 to 25 days old by the wall clock,
        # outside the rule's window there.
        events = [
            profile("sim", name="Sim", owner="dana", segment="high_touch"),
            *(ticket("sim", f"t{n}", "phone", end - timedelta(days=5 - n)) for n in range(3)),
        ]
        response = await ingest.post("/v1/events", json=events, headers=INGEST_KEY)
        assert response.status_code == 202, response.text
        found: list[dict[str, object]] = []
        for _ in range(300):
            listed = await alerts.get("/v1/alerts", params={"account_id": "sim"}, headers=READ_KEY)
            found = listed.json()["alerts"]
            if found:
                break
            await asyncio.sleep(0.1)
        [alert] = found
        assert alert["rule_id"] == "phone_tickets"
        assert datetime.fromisoformat(str(alert["opened_at"])) == end
        tasks = await alerts.get(f"/v1/alerts/{alert['id']}/tasks", headers=READ_KEY)
        first = tasks.json()["tasks"][0]
        assert datetime.fromisoformat(first["due_at"]) == end + timedelta(days=1)
        assert first["overdue"] is False
