"""What ingest's routes share while the app runs, built once at start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from pulse.common.service import ServiceContext, ServiceHook
from pulse.ingest.broker_health import BrokerHealth
from pulse.ingest.config import IngestSettings
from pulse.ingest.publisher import EventPublisher
from pulse.ingest.ratelimit import RateLimiter
from pulse.ingest.references import KnownAccounts
from pulse.ingest.sources.base import SourceAdapter

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestState:
    """Settings, the publisher, the rate limiter, known accounts and the vendor adapters."""

    context: ServiceContext
    config: IngestSettings
    publisher: EventPublisher
    limiter: RateLimiter
    known_accounts: KnownAccounts
    adapters: Mapping[str, SourceAdapter]


async def ingest_state(request: Request) -> IngestState:
    """FastAPI dependency: the running ingest's state (`async`: a plain `def` dependency
    would run in a worker thread)."""
    state: IngestState = request.app.state.ingest
    return state


def ingest_hook(config: IngestSettings, adapters: Mapping[str, SourceAdapter]) -> ServiceHook:
    """A service hook that builds `IngestState` and runs the known-accounts writer."""

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        known = KnownAccounts(context.sessions)
        await known.load()
        broker = BrokerHealth(context.producer.check_ready)
        app.state.ingest = IngestState(
            context=context,
            config=config,
            publisher=EventPublisher(
                context.producer,
                context.topics,
                broker,
                timeout_s=config.publish_timeout_s,
                retry_after_s=config.retry_after_s,
            ),
            limiter=RateLimiter(config.rate_limit_events_per_s, config.rate_limit_burst),
            known_accounts=known,
            adapters=adapters,
        )
        writer = asyncio.create_task(known.run(), name="known-accounts")
        try:
            yield
        finally:
            await broker.close()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            try:
                await known.flush()
            except Exception:
                log.exception("could not store the accounts seen last")

    return hook


#: The running ingest's state, as a route parameter's type.
IngestStateDep = Annotated[IngestState, Depends(ingest_state)]
