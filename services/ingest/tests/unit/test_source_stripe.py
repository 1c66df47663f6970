"""Stripe adapter: reading the event itself (its shape, type, id and redelivery).

(Invoices are tested in `test_source_stripe_invoices.py`, subscriptions in
`test_source_stripe_subscriptions.py`, accounts in `test_source_stripe_accounts.py`, ARR
prices in `test_source_stripe_prices.py`, the signature in `test_source_stripe_signature.py`.)
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from pulse.ingest.sources.base import PayloadError

from .stripe_payloads import (
    OPENAPI_CUSTOMER,
    basil_subscription,
    fixture,
    normalise,
    one_contract,
    sample,
    valid,
)

# --- which events are read ---------------------------------------------------------------------


def test_the_openapi_event_fixture_plan_created_is_ignored() -> None:
    outcome = normalise(fixture("stripe_event_object.openapi_fixture.json"))

    assert (outcome.events, outcome.unmapped, outcome.learned) == ([], [], {})
    [ignored] = outcome.ignored
    assert ignored.path == "type"
    assert "plan.created is not read" in ignored.reason
    assert "invoice.finalized" in ignored.reason


def test_an_api_version_is_not_needed_to_read_the_basil_shape() -> None:
    payload = basil_subscription("customer.subscription.created", "evt_no_version")
    payload["api_version"] = None

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.arr_after == Decimal("240.00")


# --- payload shape ----------------------------------------------------------------------------


def test_unsupported_event_types_are_ignored() -> None:
    payload = sample("invoice.paid", "evt_other")
    payload["type"] = "charge.succeeded"

    outcome = normalise(payload)
    assert (outcome.events, outcome.unmapped, outcome.learned) == ([], [], {})
    [ignored] = outcome.ignored
    assert ignored.path == "type"
    assert ignored.reason.startswith("Stripe event charge.succeeded is not read; Pulse reads ")


def mutated(change: Any) -> dict[str, Any]:
    payload = sample("invoice.finalized", "evt_mutated")
    change(payload)
    return payload


def seats_changed(change: Any) -> dict[str, Any]:
    """The basil seat update (its items in `previous_attributes` too), changed."""
    payload = fixture("stripe/customer.subscription.updated.basil_quantity.json")
    change(payload["data"])
    return payload


@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        ([sample("invoice.paid", "evt_list")], "", "expected a Stripe event object, got array"),
        ("invoice.paid", "", "expected a Stripe event object, got string"),
        (mutated(lambda p: p.pop("type")), "type", "expected a non-empty string, got nothing"),
        # Neither an array nor an object is hashable: once, looking them up was a TypeError.
        (mutated(lambda p: p.update(type=["invoice.paid"])), "type", "string, got an array"),
        (mutated(lambda p: p.update(type={"id": "x"})), "type", "string, got an object"),
        (
            seats_changed(lambda d: d["object"]["items"]["data"][0].update(id=["si_1"])),
            "data.object.items.data.0.id",
            "expected a string, got an array",
        ),
        (
            seats_changed(lambda d: d["previous_attributes"]["items"]["data"][0].update(id={})),
            "data.previous_attributes.items.data.0.id",
            "expected a string, got an object",
        ),
        (mutated(lambda p: p.pop("id")), "id", "expected a non-empty string, got nothing"),
        (mutated(lambda p: p.pop("data")), "data.object", "got nothing"),
        (mutated(lambda p: p.update(data="in")), "data", "expected an object, got string"),
        (mutated(lambda p: p["data"].update(object=[])), "data.object", "got array"),
        (fixture("stripe_invoice_object.openapi_fixture.json"), "object", "got 'invoice'"),
        (mutated(lambda p: p.update(object="v2.core.event")), "object", "'v2.core.event'"),
        (mutated(lambda p: p.update(created="today")), "created", "expected a unix time"),
        (
            mutated(lambda p: p["data"]["object"].update(amount_due="15.00")),
            "data.object.amount_due",
            "expected minor units, got '15.00'",
        ),
        (
            mutated(lambda p: p["data"]["object"].pop("currency")),
            "data.object.currency",
            "expected a non-empty string",
        ),
        (
            mutated(lambda p: p["data"].update(previous_attributes=[])),
            "data.previous_attributes",
            "expected an object",
        ),
    ],
)
def test_a_payload_that_is_not_a_stripe_event_is_a_payload_error(
    payload: Any, path: str, message: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        normalise(payload)
    assert caught.value.path == path
    assert message in caught.value.message


def test_redelivery_gives_the_same_envelope() -> None:
    payload = sample("customer.subscription.deleted", "evt_1RedeliveredTwice")

    assert normalise(payload).events == normalise(copy.deepcopy(payload)).events


def test_an_overlong_stripe_event_id_is_hashed_to_fit() -> None:
    [event] = valid(normalise(sample("invoice.paid", "evt_" + "x" * 200)))

    assert event.id.startswith("stripe:sha256:")
    assert len(event.id) <= 128
