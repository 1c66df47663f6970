"""Stripe adapter: invoices → invoice.issued/paid/overdue, subscriptions → contract.changed.

(Accounts are tested in `test_source_stripe_accounts.py`, ARR prices in
`test_source_stripe_prices.py`, the signature in `test_source_stripe_signature.py`.)
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.common.events import InvoiceIssued, InvoiceOverdue, InvoicePaid
from pulse.ingest.sources.base import PayloadError, Reference

from .stripe_payloads import (
    NOW,
    OPENAPI_CUSTOMER,
    SAMPLE_CUSTOMER,
    basil_subscription,
    fixture,
    normalise,
    one_contract,
    sample,
    valid,
    wrapped,
)

# --- the real 2020-08-27 samples ----------------------------------------------------------------


def test_created_draft_invoice_becomes_invoice_issued_due_when_created() -> None:
    outcome = normalise(sample("invoice.created", "evt_created_1"))

    [event] = valid(outcome)
    assert isinstance(event, InvoiceIssued)
    assert event.id == "stripe:invoice:in_000000000000000000000000:issued"
    assert event.account_id == "acme-corp"
    assert event.source == "stripe"
    assert event.occurred_at == datetime(2022, 3, 26, 18, 41, 50, tzinfo=UTC)
    assert event.data.invoice_id == "in_000000000000000000000000"
    assert event.data.amount == Decimal("15.00")
    assert event.data.currency == "USD"
    # charge_automatically, no due_date, no days_until_due: due when Stripe charges it
    assert event.data.due_at == datetime(2022, 3, 26, 18, 41, 50, tzinfo=UTC)
    assert outcome.learned == {SAMPLE_CUSTOMER: "acme-corp"}
    assert (outcome.unmapped, outcome.ignored) == ([], [])


def test_finalized_invoice_becomes_invoice_issued_with_the_amount_due() -> None:
    [event] = valid(normalise(sample("invoice.finalized", "evt_finalized_1")))

    assert isinstance(event, InvoiceIssued)
    assert event.occurred_at == datetime(2022, 3, 26, 18, 40, 15, tzinfo=UTC)
    assert event.data.amount == Decimal("20.00")
    assert event.data.currency == "USD"
    assert event.data.due_at == datetime(2022, 3, 26, 18, 40, 12, tzinfo=UTC)


def test_created_and_finalized_events_of_one_invoice_share_one_envelope_id() -> None:
    created = normalise(sample("invoice.created", "evt_created_2")).events
    finalized = normalise(sample("invoice.finalized", "evt_finalized_2")).events

    assert created[0]["id"] == finalized[0]["id"]
    assert created[0]["id"] == "stripe:invoice:in_000000000000000000000000:issued"


def test_paid_invoice_becomes_invoice_paid_under_the_stripe_event_id() -> None:
    [event] = valid(normalise(sample("invoice.paid", "evt_1PaidFresh")))

    assert isinstance(event, InvoicePaid)
    assert event.id == "stripe:evt_1PaidFresh"
    assert event.account_id == "acme-corp"
    assert event.occurred_at == datetime(2022, 3, 26, 18, 40, 15, tzinfo=UTC)
    assert event.data.invoice_id == "in_000000000000000000000000"


def test_failed_payment_after_the_due_moment_becomes_invoice_overdue() -> None:
    [event] = valid(normalise(sample("invoice.payment_failed", "evt_failed_1")))

    assert isinstance(event, InvoiceOverdue)
    assert event.id == "stripe:evt_failed_1"
    assert event.occurred_at == datetime(2022, 3, 26, 18, 40, 9, tzinfo=UTC)
    assert event.data.invoice_id == "in_000000000000000000000000"
    # created 2022-03-26T18:40:07Z, charged automatically; now 2026-11-20T12:00Z
    assert event.data.days_overdue == 1699
    assert event.data.amount == Decimal("20.00")
    assert event.data.currency == "USD"


def test_failed_payment_before_the_due_date_is_ignored() -> None:
    payload = sample("invoice.payment_failed", "evt_failed_2")
    invoice = payload["data"]["object"]
    invoice["collection_method"] = "send_invoice"
    invoice["due_date"] = int((NOW + timedelta(days=10)).timestamp())

    outcome = normalise(payload)
    assert (outcome.events, outcome.unmapped) == ([], [])
    [ignored] = outcome.ignored
    assert ignored.path == "data.object.due_date"
    assert "before it is due (2026-11-30T12:00:00Z)" in ignored.reason


def test_failed_payment_due_days_after_creation_counts_from_the_due_date() -> None:
    payload = sample("invoice.payment_failed", "evt_failed_3")
    invoice = payload["data"]["object"]
    invoice["created"] = int((NOW - timedelta(days=40)).timestamp())
    invoice["days_until_due"] = 30

    [event] = valid(normalise(payload))
    assert isinstance(event, InvoiceOverdue)
    assert event.data.days_overdue == 10


def test_a_due_date_past_the_year_9999_is_a_payload_error() -> None:
    payload = sample("invoice.created", "evt_far_future")
    invoice = payload["data"]["object"]
    invoice["created"] = 253_402_300_799  # 9999-12-31T23:59:59Z, the latest unix time read
    invoice["days_until_due"] = 30

    with pytest.raises(PayloadError) as caught:
        normalise(payload)
    assert caught.value.path == "data.object.days_until_due"
    assert caught.value.message == "30 days after 9999-12-31T23:59:59Z is past the year 9999"


def test_subscription_update_without_arr_change_is_ignored() -> None:
    # The sample's only change is its schedule.
    outcome = normalise(sample("customer.subscription.updated", "evt_updated_1"))

    assert (outcome.events, outcome.unmapped) == ([], [])
    [ignored] = outcome.ignored
    assert ignored.path == "data.previous_attributes"
    assert "changed (schedule) but its ARR stays 180.00" in ignored.reason
    assert outcome.learned == {SAMPLE_CUSTOMER: "acme-corp"}  # learned all the same


def test_deleted_subscription_becomes_churn_effective_when_it_ended() -> None:
    event = one_contract(normalise(sample("customer.subscription.deleted", "evt_deleted_1")))

    assert event.id == "stripe:evt_deleted_1"
    assert event.account_id == "acme-corp"
    assert event.data.change == "churn"
    assert event.data.arr_before == Decimal("180.00")  # USD 15.00 a month
    assert event.data.arr_after == Decimal("0")
    assert event.data.effective_at == datetime(2022, 3, 26, 18, 41, 37, tzinfo=UTC)
    assert event.data.reason is None


def test_the_openapi_event_fixture_plan_created_is_ignored() -> None:
    outcome = normalise(fixture("stripe_event_object.openapi_fixture.json"))

    assert (outcome.events, outcome.unmapped, outcome.learned) == ([], [], {})
    [ignored] = outcome.ignored
    assert ignored.path == "type"
    assert "plan.created is not read" in ignored.reason
    assert "invoice.finalized" in ignored.reason


# --- the 2025-03-31.basil shapes --------------------------------------------------------------


def test_basil_invoice_finalized_becomes_invoice_issued() -> None:
    payload = wrapped("invoice", "invoice.finalized", "evt_basil_fin")

    [event] = valid(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert isinstance(event, InvoiceIssued)
    assert event.id == "stripe:invoice:in_1Pgc6tB7WZ01zgkWu9fdqL6I:issued"
    assert event.account_id == "globex"
    assert event.occurred_at == datetime(2025, 11, 20, 10, tzinfo=UTC)
    assert event.data.amount == Decimal("10.00")
    assert event.data.currency == "USD"
    assert event.data.due_at == datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)


def test_basil_invoice_overdue_counts_days_from_the_due_date() -> None:
    payload = wrapped("invoice", "invoice.overdue", "evt_basil_overdue")

    [event] = valid(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert isinstance(event, InvoiceOverdue)
    assert event.id == "stripe:evt_basil_overdue"
    assert event.data.days_overdue == 6488  # 2009-02-13T23:31:30Z to 2026-11-20T12:00Z
    assert event.data.amount == Decimal("10.00")
    assert event.data.currency == "USD"


def test_basil_invoice_paid_becomes_invoice_paid() -> None:
    payload = wrapped("invoice", "invoice.paid", "evt_basil_paid")

    [event] = valid(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert isinstance(event, InvoicePaid)
    assert event.data.invoice_id == "in_1Pgc6tB7WZ01zgkWu9fdqL6I"


def test_basil_subscription_created_is_a_new_contract() -> None:
    payload = basil_subscription("customer.subscription.created", "evt_basil_new")

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.id == "stripe:evt_basil_new"
    assert event.account_id == "globex"
    assert event.data.change == "new"
    assert event.data.arr_before == Decimal("0")
    assert event.data.arr_after == Decimal("240.00")  # one seat at USD 20.00 a month
    assert event.data.effective_at == datetime(2025, 11, 20, 10, tzinfo=UTC)


def test_an_api_version_is_not_needed_to_read_the_basil_shape() -> None:
    payload = basil_subscription("customer.subscription.created", "evt_no_version")
    payload["api_version"] = None

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.arr_after == Decimal("240.00")


def test_basil_deleted_subscription_carries_the_cancellation_reason() -> None:
    payload = basil_subscription("customer.subscription.deleted", "evt_basil_churn")
    subscription = payload["data"]["object"]
    subscription["cancellation_details"] = {
        "comment": "We moved to a cheaper plan elsewhere",
        "feedback": "too_expensive",
        "reason": "cancellation_requested",
    }
    subscription["ended_at"] = 1763640000  # 2025-11-20T12:00:00Z

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.change == "churn"
    assert event.data.arr_before == Decimal("240.00")
    assert event.data.arr_after == Decimal("0")
    assert event.data.effective_at == datetime(2025, 11, 20, 12, tzinfo=UTC)
    assert event.data.reason == (
        "reason: cancellation_requested; feedback: too_expensive; "
        "comment: We moved to a cheaper plan elsewhere"
    )
    assert event.data.reason_category == "price"


def test_deleted_subscription_without_end_time_is_effective_when_canceled() -> None:
    payload = basil_subscription("customer.subscription.deleted", "evt_basil_cancel")
    payload["data"]["object"].update({"ended_at": None, "canceled_at": 1763600000})

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.effective_at == datetime(2025, 11, 20, 0, 53, 20, tzinfo=UTC)


def test_basil_seat_increase_is_an_expansion() -> None:
    payload = fixture("stripe/customer.subscription.updated.basil_quantity.json")

    outcome = normalise(payload)
    event = one_contract(outcome)
    assert event.id == "stripe:evt_1QbasilSeatsUpdated00001"
    assert event.account_id == "acme-corp"
    assert event.data.change == "expansion"
    assert event.data.arr_before == Decimal("3600.00")  # 10 seats at EUR 30.00 a month
    assert event.data.arr_after == Decimal("9000.00")  # 25 seats
    assert event.data.effective_at == datetime(2025, 11, 20, 10, tzinfo=UTC)
    assert outcome.learned == {Reference("stripe", "customer", "cus_RbasilAcme0001"): "acme-corp"}


def test_basil_seat_decrease_is_a_contraction() -> None:
    payload = fixture("stripe/customer.subscription.updated.basil_quantity.json")
    payload["data"]["object"]["items"]["data"][0]["quantity"] = 4

    event = one_contract(normalise(payload))
    assert event.data.change == "contraction"
    assert event.data.arr_before == Decimal("3600.00")
    assert event.data.arr_after == Decimal("1440.00")


def test_basil_status_only_change_is_ignored() -> None:
    payload = fixture("stripe/customer.subscription.updated.basil_quantity.json")
    payload["data"]["previous_attributes"] = {"status": "trialing", "trial_end": 1763546400}

    outcome = normalise(payload)
    assert outcome.events == []
    [ignored] = outcome.ignored
    assert "changed (status, trial_end) but its ARR stays 9000.00" in ignored.reason


def test_an_added_item_is_an_expansion() -> None:
    payload = fixture("stripe/customer.subscription.updated.basil_quantity.json")
    items = payload["data"]["object"]["items"]["data"]
    support = copy.deepcopy(items[0])
    support["id"] = "si_RbasilSupport1"
    support["quantity"] = 1
    support["price"].update({"unit_amount": 120000, "unit_amount_decimal": "120000"})
    support["price"]["recurring"]["interval"] = "year"
    items.append(support)
    payload["data"]["previous_attributes"]["items"]["data"][0]["quantity"] = 25

    event = one_contract(normalise(payload))
    assert event.data.change == "expansion"
    assert event.data.arr_before == Decimal("9000.00")
    assert event.data.arr_after == Decimal("10200.00")  # + EUR 1,200.00 a year


def test_legacy_plan_downgrade_is_a_contraction() -> None:
    payload = fixture("stripe/customer.subscription.updated.legacy_downgrade.json")

    event = one_contract(
        normalise(payload, known={Reference("stripe", "customer", "cus_LegacyInitech1"): "initech"})
    )
    assert event.account_id == "initech"
    assert event.data.change == "contraction"
    assert event.data.arr_before == Decimal("1200.00")  # USD 1,200.00 a year
    assert event.data.arr_after == Decimal("600.00")  # USD 50.00 a month


def test_legacy_previous_plan_and_quantity_without_items_apply_to_the_single_item() -> None:
    payload = fixture("stripe/customer.subscription.updated.legacy_downgrade.json")
    previous = payload["data"]["previous_attributes"]
    del previous["items"]
    previous["quantity"] = 2
    known = {Reference("stripe", "customer", "cus_LegacyInitech1"): "initech"}

    event = one_contract(normalise(payload, known=known))
    assert event.data.change == "contraction"
    assert event.data.arr_before == Decimal("2400.00")  # 2 x USD 1,200.00 a year
    assert event.data.arr_after == Decimal("600.00")


def test_legacy_quantity_increase_is_an_expansion() -> None:
    payload = sample("customer.subscription.updated", "evt_legacy_qty")
    subscription = payload["data"]["object"]
    subscription["quantity"] = 3
    subscription["items"]["data"][0]["quantity"] = 3
    payload["data"]["previous_attributes"] = {"quantity": 1}

    event = one_contract(normalise(payload))
    assert event.data.change == "expansion"
    assert event.data.arr_before == Decimal("180.00")
    assert event.data.arr_after == Decimal("540.00")


# --- invoice amounts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "minor", "amount"),
    [
        ("usd", 1500, "15.00"),
        ("usd", 5, "0.05"),
        ("eur", 0, "0.00"),
        ("jpy", 1500, "1500"),
        ("krw", 50000, "50000"),
        ("clp", 999, "999"),
        ("bhd", 1500, "1.500"),
        ("kwd", 5, "0.005"),
        ("jod", 12345, "12.345"),
        ("omr", 1000, "1.000"),
        ("tnd", 7, "0.007"),
        ("isk", 100, "1.00"),
        ("huf", 150000, "1500.00"),
    ],
)
def test_invoice_amount_uses_the_currency_exponent(currency: str, minor: int, amount: str) -> None:
    payload = sample("invoice.finalized", "evt_amount")
    payload["data"]["object"].update({"currency": currency, "amount_due": minor})

    outcome = normalise(payload)
    assert outcome.events[0]["data"]["amount"] == amount
    assert outcome.events[0]["data"]["currency"] == currency.upper()
    [event] = valid(outcome)
    assert isinstance(event, InvoiceIssued)
    assert event.data.amount == Decimal(amount)


CURRENCY_EXPONENTS = {"USD": 2, "EUR": 2, "ISK": 2, "JPY": 0, "KRW": 0, "XOF": 0, "BHD": 3}


@given(minor=st.integers(0, 10**15 - 1), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_any_minor_amount_round_trips_to_the_exact_decimal(minor: int, currency: str) -> None:
    payload = sample("invoice.finalized", "evt_property")
    payload["data"]["object"].update({"currency": currency.lower(), "amount_due": minor})

    [event] = valid(normalise(payload))
    assert isinstance(event, InvoiceIssued)
    exponent = CURRENCY_EXPONENTS[currency]
    assert event.data.amount * 10**exponent == minor
    assert event.data.amount == Decimal(minor).scaleb(-exponent)
    text = normalise(payload).events[0]["data"]["amount"]
    assert len(text.partition(".")[2]) == exponent


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
