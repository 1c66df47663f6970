"""Pulse apps served in the test's own process: migrated, topics created, lifespans run,
each reached through an httpx client on its ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import FastAPI

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics


class ServiceModule(Protocol):
    """A service's `app` module: its schema and migrations."""

    SCHEMA: str
    MIGRATIONS_DIR: Path


async def prepare(settings: Settings, modules: Iterable[ServiceModule]) -> None:
    """Migrate each service's schema and create every topic of `settings`' prefix."""
    for module in modules:
        await asyncio.to_thread(
            upgrade_to_head, settings, schema=module.SCHEMA, migrations_dir=module.MIGRATIONS_DIR
        )
    await ensure_topics(settings, Topics(settings.topic_prefix).all)


@asynccontextmanager
async def serving(apps: Mapping[str, FastAPI]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Run each app's lifespan; a client per app name (base URL `http://<name>`)."""
    async with AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
            )
            clients[name] = await stack.enter_async_context(client)
        yield clients
