"""Vendor samples with any JSON in a few fields, signed and sent through the real route: the
answer is a 202 or a 4xx in the error shape, never a 5xx (the adapters' property tests cover
`normalise` alone; here the reference lookups, the envelopes' validation and Kafka join in)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA, create_app
from pulse.ingest.config import IngestSettings

from ..unit.vendor_mutations import VENDORS, mutated

pytestmark = pytest.mark.integration

SECRET = "whsec_mutations_secret"


def _stripe(body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


def _segment(body: bytes) -> dict[str, str]:
    return {"X-Signature": hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()}


def _zendesk(body: bytes) -> dict[str, str]:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(SECRET.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def _statuspage(body: bytes) -> dict[str, str]:
    return {"X-Pulse-Webhook-Token": SECRET}


SIGNED: dict[str, Callable[[bytes], dict[str, str]]] = {
    "stripe": _stripe,
    "segment": _segment,
    "zendesk": _zendesk,
    "statuspage": _statuspage,
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_signed_mutated_sample_is_never_answered_with_a_5xx(
    vendor: str, pulse_settings: Settings
) -> None:
    # Hypothesis calls a plain function: the app and its client live on a loop of their own.
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    try:
        client = loop.run_until_complete(_start(stack, pulse_settings))

        @given(payload=mutated(vendor))
        @settings(max_examples=40, derandomize=True, database=None, deadline=None)
        def check(payload: Any) -> None:
            body = orjson.dumps(payload)
            headers = {"Content-Type": "application/json", **SIGNED[vendor](body)}
            response = loop.run_until_complete(
                client.post(f"/v1/sources/{vendor}", content=body, headers=headers)
            )
            assert response.status_code < 500, response.text
            if response.status_code != 202:  # signed, JSON and small: only the payload is wrong
                assert response.status_code == 422, response.text
                assert response.json()["error"]["details"][0]["path"] is not None, response.text

        check()
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


async def _start(stack: AsyncExitStack, settings: Settings) -> httpx.AsyncClient:
    await asyncio.to_thread(upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    await ensure_topics(settings, Topics(settings.topic_prefix).all)
    config = IngestSettings(
        stripe_signing_secret=SECRET,
        segment_shared_secret=SECRET,
        zendesk_signing_secret=SECRET,
        statuspage_token=SECRET,
    )
    app = create_app(settings, config)
    await stack.enter_async_context(app.router.lifespan_context(app))
    # An exception the app does not handle (a 500 in production) fails the test with its
    # traceback; a 5xx the app answers on purpose (503) fails the status check.
    transport = httpx.ASGITransport(app=app)
    return await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://ingest")
    )
