"""Renewals on a simulated clock (`PULSE_SIMULATED_TIME_*`), as `pulse demo` runs it: its
today is the simulated one."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.testing.plugin import READ_KEY
from pulse.renewals import app as renewals_app
from pulse.renewals.config import RenewalsSettings

pytestmark = pytest.mark.integration


async def test_today_is_the_simulated_day(own_database: Settings) -> None:
    wall = datetime.now(UTC)
    # Started 100 days back an hour ago at 1000x: it has long stood still at its end.
    end = wall - timedelta(days=90)
    settings = own_database.model_copy(
        update={
            "simulated_time_start": wall - timedelta(days=100),
            "simulated_time_anchor": wall - timedelta(hours=1),
            "simulated_time_speed": 1000.0,
            "simulated_time_end": end,
        }
    )
    await asyncio.to_thread(
        upgrade_to_head,
        settings,
        schema=renewals_app.SCHEMA,
        migrations_dir=renewals_app.MIGRATIONS_DIR,
    )
    await ensure_topics(settings, Topics(settings.topic_prefix).all)
    app = renewals_app.create_app(settings, RenewalsSettings(reporting_currency="EUR"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client,
    ):
        response = await client.get("/v1/renewals", headers=READ_KEY)
    assert response.status_code == 200, response.text
    assert date.fromisoformat(response.json()["today"]) == end.date()
    assert end.date() < wall.date() - timedelta(days=89)
