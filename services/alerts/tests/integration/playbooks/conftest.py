"""Fixtures of alerts' integration tests: the playbook routes and hook in an app on the
real broker and PostgreSQL, with a clock the test sets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.alerts.api.playbooks import router
from pulse.alerts.app import MIGRATIONS_DIR, SCHEMA
from pulse.alerts.playbook_hook import PlaybookRuntime, playbook_hook
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.service import ServiceContext, ServiceSpec, create_service_app
from pulse.common.settings import Settings

#: Where the test clock starts.
START = datetime(2026, 11, 20, 12, tzinfo=UTC)


class SetClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class PlaybookStack:
    """The running app, its client, its clock and its database sessions."""

    client: httpx.AsyncClient
    clock: SetClock
    context: ServiceContext
    runtime: PlaybookRuntime

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Write sessions on the alerts schema."""
        return self.context.sessions


@pytest.fixture
async def playbook_stack(pulse_settings: Settings) -> AsyncIterator[PlaybookStack]:
    """The alerts schema migrated and an app serving the playbook routes, its hook
    refreshing the overdue gauge every 0.05 s."""
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    clock = SetClock(START)
    spec = ServiceSpec(
        name="alerts",
        schema=SCHEMA,
        description="playbooks under test",
        routers=(router,),
        hooks=(playbook_hook(clock, refresh_s=0.05),),
    )
    app = create_service_app(spec, pulse_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as client:
            yield PlaybookStack(client, clock, app.state.context, app.state.playbooks)
