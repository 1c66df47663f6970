"""Runs the webhook dispatcher with the alerts app and stops it cleanly with it."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.delivery.dispatcher import WebhookDispatcher
from pulse.common.clock import Clock
from pulse.common.service import ServiceContext, ServiceHook

log = logging.getLogger(__name__)


def webhook_hook(
    config: WebhookSettings, clock: Clock, rng: random.Random | None = None
) -> ServiceHook:
    """Start the dispatcher with the app, at `app.state.webhooks`; on shutdown let the
    attempts in flight finish (up to one attempt's timeout), then cancel them (their leases
    run out and they are sent again by the next process).

    `clock` and `rng` (the retry jitter) are the dispatcher's; tests pass their own.
    """

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        dispatcher = WebhookDispatcher(context.sessions, config, clock, rng)
        app.state.webhooks = dispatcher
        task = asyncio.create_task(dispatcher.run(), name="webhook-dispatcher")
        try:
            yield
        finally:
            dispatcher.stop()
            try:
                async with asyncio.timeout(config.attempt_timeout_s + 1):
                    await asyncio.shield(task)
            except TimeoutError:
                log.error("webhook attempts still in flight at shutdown; cancelling them")
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    return hook
