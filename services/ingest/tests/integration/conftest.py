"""Fixtures of ingest's tests: a running ingest app on the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA, create_app
from pulse.ingest.config import IngestSettings

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def ingest_client(pulse_settings: Settings) -> IngestClientFactory:
    """Start ingest (migrated, topics created) with optional config; yield an HTTP client.

    `async with ingest_client(settings=..., max_events=10) as client: ...`
    """

    @asynccontextmanager
    async def start(
        settings: Settings | None = None, **config: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = settings or pulse_settings
        await asyncio.to_thread(
            upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
        )
        await ensure_topics(settings, Topics(settings.topic_prefix).all)
        app = create_app(settings, IngestSettings(**config))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
                yield client

    return start
