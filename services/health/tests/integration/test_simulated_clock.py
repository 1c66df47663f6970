"""Health on a simulated clock (`PULSE_SIMULATED_TIME_*`), as `pulse demo` runs it: events
sent at their simulated times are scored, and their history stamped, at simulated times
days apart, not at wall time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pulse.common.clock import Clock, CompressedClock, clock_from_settings
from pulse.common.settings import Settings
from pulse.devtools.testing.in_process import prepare, serving
from pulse.devtools.testing.plugin import INGEST_KEY, READ_KEY
from pulse.health import app as health_app
from pulse.health.config import HealthSettings
from pulse.ingest import app as ingest_app
from pulse.ingest.config import IngestSettings

pytestmark = pytest.mark.integration

#: A simulated day per wall second.
SPEED = 86_400.0
#: Simulated days between the events sent.
STEP = timedelta(days=3)


@asynccontextmanager
async def simulated_stack(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """Health (on `settings`' clock: no clock injected) and ingest, in this process."""
    await prepare(settings, (health_app, ingest_app))
    health = health_app.create_app(settings, HealthSettings(tick_s=0.2))
    ingest = ingest_app.create_app(settings, IngestSettings())
    async with serving({"health": health, "ingest": ingest}) as clients:
        yield clients["health"], clients["ingest"]


async def wait_for(clock: Clock, moment: datetime) -> datetime:
    """Sleep until the simulated `clock` has passed `moment`; what it reads then."""
    # asyncio's timer may wake a millisecond before the wall clock agrees: a simulated
    # minute and more at this speed, so check and sleep again.
    for _ in range(1000):
        if (now := clock()) >= moment:
            return now
        await asyncio.sleep(max((moment - now).total_seconds() / SPEED, 0.001))
    raise AssertionError(f"the simulated clock never reached {moment}")


async def urgent_tickets(
    health: httpx.AsyncClient, account: str, count: int | None
) -> dict[str, Any]:
    """The account's health once it counts `count` open urgent tickets (None: before its
    first ticket, when the measure is absent; fails after 60 s)."""
    body: dict[str, Any] = {}
    for _ in range(600):
        response = await health.get(f"/v1/accounts/{account}/health", headers=READ_KEY)
        if response.status_code == 200:
            body = response.json()
            measured = {c["measure"]: c["value"] for c in body["components"]}
            if measured["open_urgent_tickets"] == count:
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{account}: never counted {count} urgent tickets; last seen {body}")


def ticket(account: str, number: int, at: datetime) -> dict[str, Any]:
    return {
        "type": "support.ticket.opened",
        "account_id": account,
        "occurred_at": at.isoformat(),
        "data": {"ticket_id": f"t{number}", "priority": "urgent", "channel": "phone"},
    }


async def test_scores_and_history_land_at_simulated_times(pulse_settings: Settings) -> None:
    wall_start = datetime.now(UTC)
    start = wall_start - timedelta(days=40)
    settings = pulse_settings.model_copy(
        update={
            "simulated_time_start": start,
            "simulated_time_anchor": wall_start,
            "simulated_time_speed": SPEED,
        }
    )
    # What another process would compute from the same settings.
    clock = clock_from_settings(settings)
    assert clock == CompressedClock(start, wall_start, SPEED)

    async with simulated_stack(settings) as (health, ingest):
        # The account first (and the consumer started): then scores follow within moments.
        profile = {
            "type": "account.updated",
            "account_id": "sim",
            "occurred_at": clock().isoformat(),
            "data": {"segment": "low_touch", "licensed_seats": 10},
        }
        assert (await ingest.post("/v1/events", json=[profile], headers=INGEST_KEY)).is_success
        await urgent_tickets(health, "sim", None)  # scored; no ticket source yet
        first = clock()
        sent: list[datetime] = []
        computed: list[datetime] = []
        for number in range(3):
            at = await wait_for(clock, first + number * STEP)
            events = [ticket("sim", number, at)]
            response = await ingest.post("/v1/events", json=events, headers=INGEST_KEY)
            assert response.status_code == 202, response.text
            body = await urgent_tickets(health, "sim", number + 1)
            sent.append(at)
            computed.append(datetime.fromisoformat(body["computed_at"]))
        simulated_end = clock()
        history = await health.get("/v1/accounts/sim/health/history", headers=READ_KEY)

    assert sent[-1] - sent[0] >= 2 * STEP
    # Each score was computed at its ticket's simulated time (or just after: the consumer
    # takes a moment, a simulated day a second), before the next ticket was sent...
    windows = list(zip(sent, [*sent[1:], simulated_end], strict=True))
    for (since, until), moment in zip(windows, computed, strict=True):
        assert since <= moment <= until, (sent, computed)
    # ... and history holds those moments, 40 days behind the wall clock, not at wall time.
    points = [datetime.fromisoformat(p["at"]) for p in history.json()["points"]]
    for since, until in windows:
        assert any(since <= p <= until for p in points), (sent, points)
    assert all(start <= p <= simulated_end for p in points), points
    assert simulated_end < wall_start - timedelta(days=20)
