"""Fixtures of the webhook integration tests: an alerts app with the webhook routes and the
dispatcher, on the real PostgreSQL and broker, with a clock the test moves forward."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pulse.alerts.api.webhooks import router
from pulse.alerts.app import MIGRATIONS_DIR, SCHEMA
from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.delivery.dispatcher import WebhookDispatcher
from pulse.alerts.delivery.enqueue import WebhookMessage, enqueue
from pulse.alerts.delivery.hook import webhook_hook
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.service import ServiceContext, ServiceSpec, create_service_app
from pulse.common.settings import Settings
from pulse.devtools.testing.clock import MovableClock
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .webhook_endpoint import WebhookReceiver


class FixedJitter(random.Random):
    """Every retry waits this fraction of its step: retries fall due when the test says."""

    def __init__(self, fraction: float) -> None:
        super().__init__()
        self.fraction = fraction

    def random(self) -> float:
        return self.fraction


@dataclass
class WebhookStack:
    """A running alerts app with webhooks, its client, clock and receivers."""

    api: httpx.AsyncClient
    clock: MovableClock
    context: ServiceContext
    dispatcher: WebhookDispatcher

    async def subscribe(
        self,
        receiver: WebhookReceiver,
        event_types: Sequence[str] = ("alert.opened",),
        **extra: Any,
    ) -> dict[str, Any]:
        """Subscribe `receiver`; it verifies with the secret shown."""
        body = {"url": receiver.url, "event_types": list(event_types), **extra}
        response = await self.api.post("/v1/webhooks", json=body, headers=ADMIN_KEY)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        receiver.secrets.append(created["secret"])
        return created

    async def enqueue(self, *messages: WebhookMessage) -> None:
        """What the alert engine does: enqueue in its transaction, then wake the dispatcher."""
        async with self.context.sessions.begin() as session:
            await enqueue(session, messages)
        self.dispatcher.wake()

    async def deliveries(self, subscription_id: str, **params: Any) -> list[dict[str, Any]]:
        response = await self.api.get(
            f"/v1/webhooks/{subscription_id}/deliveries", params=params, headers=READ_KEY
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["deliveries"]
        return found

    async def settled(self, subscription_id: str, attempts: int = 1) -> dict[str, Any]:
        """The newest delivery once it had `attempts` and none is in flight."""
        async with asyncio.timeout(30):
            while True:
                found = await self.deliveries(subscription_id, limit=1)
                if found and found[0]["state"] != "delivering" and found[0]["attempts"] >= attempts:
                    return found[0]
                await asyncio.sleep(0.02)

    async def until(self, condition: Callable[[], Any]) -> None:
        """Wait until the awaitable `condition()` is truthy (fails after 30 s)."""
        for _ in range(1500):
            if await condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the condition never held")

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.context.sessions.begin() as session:
            result = await session.execute(text(statement), params)
            return list(result.all())


StackFactory = Callable[..., AbstractAsyncContextManager[WebhookStack]]


def alert(
    key: str, account_id: str = "acme", segment: str | None = "high_touch", **data: Any
) -> WebhookMessage:
    """An `alert.opened` message about `account_id`."""
    occurred_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return WebhookMessage(
        key, "alert.opened", account_id, segment, occurred_at, {"rule": "r", **data}
    )


@pytest.fixture
def webhook_stack(pulse_settings: Settings) -> StackFactory:
    """Start the app (migrated, webhook tables emptied): `async with webhook_stack() as s`.

    The dispatcher polls every 0.05 s, sends to 127.0.0.1 (allow_private) unless told, and
    waits each retry's whole step (`jitter` 1.0): a first retry comes 5 s after a failure.
    """

    @asynccontextmanager
    async def start(jitter: float = 1.0, **config: Any) -> AsyncIterator[WebhookStack]:
        await asyncio.to_thread(
            upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
        )
        clock = MovableClock()
        settings = WebhookSettings(**{"allow_private": True, "poll_interval_s": 0.05, **config})
        spec = ServiceSpec(
            name="alerts",
            schema=SCHEMA,
            description="alerts with webhooks (tests)",
            routers=(router,),
            hooks=(webhook_hook(settings, clock, FixedJitter(jitter)),),
        )
        app = create_service_app(spec, pulse_settings)
        async with app.router.lifespan_context(app):
            context: ServiceContext = app.state.context
            async with context.sessions.begin() as session:
                await session.execute(
                    text(
                        "TRUNCATE webhook_attempts, webhook_deliveries, webhook_messages, "
                        "webhook_subscriptions"
                    )
                )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as api:
                yield WebhookStack(api, clock, context, app.state.webhooks)

    return start


#: Starts a receiver on a free port, verifying with the clock given.
Receivers = Callable[[MovableClock], Awaitable[WebhookReceiver]]


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    """Start receivers on free ports (`await receivers(clock)`); stopped after the test."""
    started: list[WebhookReceiver] = []

    async def start(clock: MovableClock) -> WebhookReceiver:
        receiver = WebhookReceiver(clock)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()
