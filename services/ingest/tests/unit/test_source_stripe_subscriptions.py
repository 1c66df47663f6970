"""Stripe adapter: subscriptions → contract.changed (new, expansion, contraction, churn);
on the 2020-08-27 samples and the 2025-03-31.basil shapes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

from pulse.ingest.sources.base import Reference

from .stripe_payloads import (
    OPENAPI_CUSTOMER,
    SAMPLE_CUSTOMER,
    basil_subscription,
    fixture,
    normalise,
    one_contract,
    sample,
)


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


def test_basil_subscription_created_is_a_new_contract() -> None:
    payload = basil_subscription("customer.subscription.created", "evt_basil_new")

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.id == "stripe:evt_basil_new"
    assert event.account_id == "globex"
    assert event.data.change == "new"
    assert event.data.arr_before == Decimal("0")
    assert event.data.arr_after == Decimal("240.00")  # one seat at USD 20.00 a month
    assert event.data.effective_at == datetime(2025, 11, 20, 10, tzinfo=UTC)


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
