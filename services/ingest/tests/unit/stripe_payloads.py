"""Stripe events for the adapter's tests: real 2020-08-27 samples, Stripe's OpenAPI fixture
objects wrapped in events as a recent API version sends them, and `normalise` at a fixed clock
with the envelopes it produced validated as `/v1/events` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pulse.common.events import ContractChanged, Event, validate_event
from pulse.ingest.sources.base import Normalised, Reference, SourceAdapter, SourceContext
from pulse.ingest.sources.stripe.adapter import StripeAdapter

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ADAPTER: SourceAdapter = StripeAdapter()
SAMPLE_CUSTOMER = Reference("stripe", "customer", "cus_00000000000000")
OPENAPI_CUSTOMER = Reference("stripe", "customer", "cus_QXg1o8vcGmoR32")
BASIL = "2025-03-31.basil"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return loaded


def sample(kind: str, event_id: str, account: str | None = "acme-corp") -> dict[str, Any]:
    """A real 2020-08-27 sample with its own event id and, unless None, metadata.account_id."""
    payload = fixture(f"stripe_{kind}.json")
    payload["id"] = event_id
    if account is not None:
        payload["data"]["object"]["metadata"] = {"account_id": account}
    return payload


def wrapped(
    name: str, event_type: str, event_id: str, *, api_version: str | None = BASIL
) -> dict[str, Any]:
    """One of Stripe's OpenAPI fixture objects in an event, as a recent API version sends it."""
    event = fixture("stripe_event_object.openapi_fixture.json")
    event.update({"id": event_id, "type": event_type, "api_version": api_version})
    event["created"] = 1763632800  # 2025-11-20T10:00:00Z
    event["data"] = {"object": fixture(f"stripe_{name}_object.openapi_fixture.json")}
    return event


def basil_subscription(event_type: str, event_id: str) -> dict[str, Any]:
    payload = wrapped("subscription", event_type, event_id)
    # The generated fixture bills per 1,592,560,163 units (transform_quantity), which would
    # round its one seat down to nothing; a per-seat price has no transform.
    payload["data"]["object"]["items"]["data"][0]["price"]["transform_quantity"] = None
    return payload


def normalise(payload: Any, known: Mapping[Reference, str] | None = None) -> Normalised:
    return ADAPTER.normalise(payload, SourceContext(now=NOW, known=known or {}))


def valid(outcome: Normalised) -> list[Event]:
    """Every envelope produced, validated as /v1/events would."""
    return [validate_event(raw, now=NOW) for raw in outcome.events]


def one_contract(outcome: Normalised) -> ContractChanged:
    [event] = valid(outcome)
    assert isinstance(event, ContractChanged)
    return event
