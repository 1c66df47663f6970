"""Stripe adapter: invoices → invoice.issued, invoice.paid and invoice.overdue, with amounts
in each currency's minor units; on the 2020-08-27 samples and the 2025-03-31.basil shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.common.events import InvoiceIssued, InvoiceOverdue, InvoicePaid
from pulse.ingest.sources.base import PayloadError

from .stripe_payloads import (
    NOW,
    OPENAPI_CUSTOMER,
    SAMPLE_CUSTOMER,
    normalise,
    sample,
    valid,
    wrapped,
)


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
