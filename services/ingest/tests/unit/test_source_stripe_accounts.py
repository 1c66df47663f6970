"""Stripe adapter: which account an event is of (metadata, the subscription's metadata, an
expanded customer, known customer references) and what Pulse learns of a customer."""

from __future__ import annotations

import pytest

from pulse.ingest.sources.base import PayloadError, Reference

from .stripe_payloads import (
    ADAPTER,
    OPENAPI_CUSTOMER,
    SAMPLE_CUSTOMER,
    fixture,
    normalise,
    sample,
    valid,
    wrapped,
)


def test_basil_invoice_takes_the_account_of_its_subscription_metadata() -> None:
    payload = wrapped("invoice", "invoice.paid", "evt_basil_parent")
    payload["data"]["object"]["parent"]["subscription_details"]["metadata"] = {
        "account_id": "initech"
    }

    outcome = normalise(payload)
    [event] = valid(outcome)
    assert event.account_id == "initech"
    assert outcome.learned == {OPENAPI_CUSTOMER: "initech"}


def test_pre_basil_invoice_reads_subscription_metadata_from_subscription_details() -> None:
    payload = sample("invoice.paid", "evt_details", account=None)
    payload["data"]["object"]["subscription_details"] = {"metadata": {"account_id": "umbrella"}}

    [event] = valid(normalise(payload))
    assert event.account_id == "umbrella"


def test_unmapped_customer_says_how_to_map_it() -> None:
    outcome = normalise(sample("invoice.paid", "evt_unmapped", account=None))

    assert (outcome.events, outcome.ignored, outcome.learned) == ([], [], {})
    [unmapped] = outcome.unmapped
    assert unmapped.path == "data.object.customer"
    assert unmapped.vendor_id == "evt_unmapped"
    assert "Stripe customer cus_00000000000000 is not mapped" in unmapped.reason
    assert "set metadata.account_id on the customer in Stripe" in unmapped.reason
    assert "PUT /v1/sources/stripe/references/customer/cus_00000000000000" in unmapped.reason


def test_a_known_customer_reference_maps_the_event() -> None:
    outcome = normalise(
        sample("invoice.paid", "evt_known", account=None), known={SAMPLE_CUSTOMER: "acme-corp"}
    )

    [event] = valid(outcome)
    assert event.account_id == "acme-corp"
    assert outcome.learned == {}


def test_metadata_wins_over_a_known_reference_and_is_learned() -> None:
    payload = sample("invoice.paid", "evt_remap", account="globex")

    outcome = normalise(payload, known={SAMPLE_CUSTOMER: "acme-corp"})
    [event] = valid(outcome)
    assert event.account_id == "globex"
    assert outcome.learned == {SAMPLE_CUSTOMER: "globex"}


def test_metadata_matching_the_known_reference_teaches_nothing_new() -> None:
    outcome = normalise(sample("invoice.paid", "evt_same"), known={SAMPLE_CUSTOMER: "acme-corp"})

    assert outcome.learned == {}
    assert [e["account_id"] for e in outcome.events] == ["acme-corp"]


def test_pulse_account_id_metadata_is_read_too() -> None:
    payload = sample("customer.subscription.deleted", "evt_pulse_key", account=None)
    payload["data"]["object"]["metadata"] = {"pulse_account_id": "hooli"}

    assert [e["account_id"] for e in normalise(payload).events] == ["hooli"]


def test_an_expanded_customer_object_gives_its_id_and_metadata() -> None:
    payload = sample("invoice.paid", "evt_expanded", account=None)
    payload["data"]["object"]["customer"] = {
        "id": "cus_Expanded0001",
        "object": "customer",
        "metadata": {"account_id": "soylent"},
    }

    assert ADAPTER.references_needed(payload) == {
        Reference("stripe", "customer", "cus_Expanded0001")
    }
    outcome = normalise(payload)
    assert [e["account_id"] for e in outcome.events] == ["soylent"]
    assert outcome.learned == {Reference("stripe", "customer", "cus_Expanded0001"): "soylent"}


def test_an_invalid_metadata_account_id_is_unmapped_saying_why() -> None:
    outcome = normalise(sample("invoice.paid", "evt_bad_meta", account="Acme Corp"))

    assert outcome.events == []
    [unmapped] = outcome.unmapped
    assert "data.object.metadata.account_id 'Acme Corp' is not an account id" in unmapped.reason
    assert "' ' at position 4" in unmapped.reason


def test_an_invalid_metadata_account_id_falls_back_to_the_known_reference() -> None:
    outcome = normalise(
        sample("invoice.paid", "evt_bad_meta_2", account="Acme Corp"),
        known={SAMPLE_CUSTOMER: "acme-corp"},
    )

    assert [e["account_id"] for e in outcome.events] == ["acme-corp"]


def test_customer_updated_teaches_the_customer_account() -> None:
    payload = fixture("stripe/customer.updated.json")

    assert ADAPTER.references_needed(payload) == {SAMPLE_CUSTOMER}
    outcome = normalise(payload)
    assert outcome.learned == {SAMPLE_CUSTOMER: "acme-corp"}
    assert (outcome.events, outcome.unmapped, outcome.ignored) == ([], [], [])
    # ... which the next invoice of that customer then uses
    invoice = sample("invoice.paid", "evt_after_learning", account=None)
    assert [e["account_id"] for e in normalise(invoice, outcome.learned).events] == ["acme-corp"]


def test_customer_without_account_metadata_teaches_nothing() -> None:
    payload = fixture("stripe/customer.updated.json")
    payload["data"]["object"]["metadata"] = {}

    outcome = normalise(payload)
    assert outcome.learned == {}
    [ignored] = outcome.ignored
    assert ignored.path == "data.object.metadata"
    assert "customer cus_00000000000000 has no metadata.account_id" in ignored.reason


def test_references_needed_names_the_customer_of_the_object() -> None:
    assert ADAPTER.references_needed(sample("invoice.paid", "evt_refs")) == {SAMPLE_CUSTOMER}
    assert ADAPTER.references_needed({"type": "invoice.paid"}) == set()
    assert ADAPTER.references_needed([1, 2]) == set()


@pytest.mark.parametrize(
    ("event_type", "got"), [(["customer.updated"], "an array"), ({"id": "x"}, "an object")]
)
def test_references_needed_reads_a_type_that_is_not_text_leniently(
    event_type: object, got: str
) -> None:
    payload = sample("invoice.paid", "evt_odd_type")
    payload["type"] = event_type  # not hashable: once a TypeError, a 500

    assert ADAPTER.references_needed(payload) == {SAMPLE_CUSTOMER}
    with pytest.raises(PayloadError) as caught:
        normalise(payload)
    assert (caught.value.path, caught.value.message) == (
        "type",
        f"expected a non-empty string, got {got}",
    )
