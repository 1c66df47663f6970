"""What playbooks run beside HTTP: the shipped defaults and a playbooks file's stored at
start, the catalog the engine and the API share, and the loop that refreshes the
overdue-task gauge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import FastAPI

from pulse.alerts.playbooks.definitions import PlaybookSet
from pulse.alerts.playbooks_store.catalog import PlaybookCatalog
from pulse.alerts.playbooks_store.overdue_gauge import refresh_overdue_gauge
from pulse.alerts.playbooks_store.playbook_rows import (
    ensure_default_playbooks,
    store_file_playbooks,
)
from pulse.common.service import ServiceContext, ServiceHook

log = logging.getLogger(__name__)

#: What time it is for due dates (tests move it forward).
Clock = Callable[[], datetime]
#: How often the overdue gauge is counted again, by default.
DEFAULT_GAUGE_REFRESH_S = 60.0
STOP_TIMEOUT_S = 5.0


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(slots=True)
class PlaybookRuntime:
    """What the playbook routes reach at `app.state.playbooks`, and the engine may pass on
    (`catalog` to `start_playbook`)."""

    clock: Clock
    catalog: PlaybookCatalog = field(default_factory=PlaybookCatalog)


async def refresh_overdue_loop(
    context: ServiceContext, clock: Clock, every_s: float, stop: asyncio.Event
) -> None:
    """Refresh the overdue gauge every `every_s` seconds until `stop` is set; a failed
    refresh is logged and tried again at the next turn."""
    while not stop.is_set():
        try:
            async with context.reads() as session:
                await refresh_overdue_gauge(session, clock())
        except Exception:
            log.exception("counting overdue alert tasks failed; retrying next turn")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


def playbook_hook(
    clock: Clock = utc_now,
    refresh_s: float = DEFAULT_GAUGE_REFRESH_S,
    from_file: PlaybookSet | None = None,
) -> ServiceHook:
    """Store the shipped playbooks if none ever were, then those of `from_file` (the
    playbooks file) that differ from the stored ones; publish the runtime at
    `app.state.playbooks`, and refresh the overdue gauge every `refresh_s` seconds."""

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        async with context.sessions.begin() as session:
            await ensure_default_playbooks(session)
            if from_file is not None:
                await store_file_playbooks(session, from_file.playbooks)
        app.state.playbooks = PlaybookRuntime(clock)
        stop = asyncio.Event()
        loop = asyncio.create_task(
            refresh_overdue_loop(context, clock, refresh_s, stop), name="alerts-overdue-gauge"
        )
        try:
            yield
        finally:
            # Let a count under way finish: a query cancelled midway leaves its connection
            # checked out when the engine is disposed.
            stop.set()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await loop
            except TimeoutError:
                log.error("overdue gauge refresh did not stop in time; cancelling it")
                loop.cancel()
                await asyncio.gather(loop, return_exceptions=True)

    return hook
