"""Stripe adapter: a subscription's ARR from its items' prices (intervals, currencies' minor
units, fractional cents, transform_quantity, metered and tiered prices)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from pulse.ingest.sources.base import PayloadError

from .stripe_payloads import OPENAPI_CUSTOMER, basil_subscription, normalise, one_contract


def subscription_with_price(
    currency: str, unit_amount: int, quantity: int, interval: str, interval_count: int = 1
) -> dict[str, Any]:
    payload = basil_subscription("customer.subscription.created", "evt_price")
    subscription = payload["data"]["object"]
    subscription["currency"] = currency
    item = subscription["items"]["data"][0]
    item["quantity"] = quantity
    item["price"].update(
        {"currency": currency, "unit_amount": unit_amount, "unit_amount_decimal": str(unit_amount)}
    )
    item["price"]["recurring"].update({"interval": interval, "interval_count": interval_count})
    return payload


@pytest.mark.parametrize(
    ("currency", "unit_amount", "quantity", "interval", "interval_count", "arr"),
    [
        ("usd", 1500, 1, "month", 1, "180.00"),
        ("usd", 120000, 1, "year", 1, "1200.00"),
        ("usd", 120000, 1, "year", 2, "600.00"),
        ("usd", 3000, 2, "month", 3, "240.00"),  # quarterly
        ("usd", 1000, 1, "week", 1, "520.00"),
        ("usd", 1001, 1, "week", 3, "173.51"),  # 10.01 x 52 / 3 = 173.5067
        ("usd", 100, 1, "day", 1, "365.00"),
        ("jpy", 1500, 4, "month", 1, "72000"),
        ("krw", 99000, 1, "year", 1, "99000"),
        ("bhd", 1500, 1, "month", 1, "18.000"),
        ("kwd", 5, 3, "month", 1, "0.180"),
        ("isk", 990000, 1, "year", 1, "9900.00"),  # two decimals in Stripe's API
    ],
)
def test_arr_annualises_the_price_in_the_currency_minor_unit(
    currency: str, unit_amount: int, quantity: int, interval: str, interval_count: int, arr: str
) -> None:
    payload = subscription_with_price(currency, unit_amount, quantity, interval, interval_count)

    outcome = normalise(payload, known={OPENAPI_CUSTOMER: "globex"})
    assert outcome.events[0]["data"]["arr_after"] == arr
    assert one_contract(outcome).data.arr_after == Decimal(arr)


def test_fractional_cent_unit_amount_decimal_is_used() -> None:
    payload = subscription_with_price("usd", 0, 1000, "month")
    payload["data"]["object"]["items"]["data"][0]["price"]["unit_amount_decimal"] = "0.5"

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.arr_after == Decimal("60.00")  # 1000 x USD 0.005 x 12


@pytest.mark.parametrize(("rounding", "arr"), [("up", "1080.00"), ("down", "720.00")])
def test_transform_quantity_bills_per_package(rounding: str, arr: str) -> None:
    payload = subscription_with_price("usd", 3000, 25, "month")
    price = payload["data"]["object"]["items"]["data"][0]["price"]
    price["transform_quantity"] = {"divide_by": 10, "round": rounding}

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.arr_after == Decimal(arr)  # 3 or 2 packages of 10 at USD 30.00 a month


def test_metered_items_count_nothing() -> None:
    payload = subscription_with_price("usd", 1500, 1, "month")
    items = payload["data"]["object"]["items"]["data"]
    metered = copy.deepcopy(items[0])
    metered["price"]["recurring"]["usage_type"] = "metered"
    metered["price"]["unit_amount_decimal"] = "7"
    metered.pop("quantity")
    items.append(metered)

    event = one_contract(normalise(payload, known={OPENAPI_CUSTOMER: "globex"}))
    assert event.data.arr_after == Decimal("180.00")


def test_tiered_price_is_ignored_as_its_arr_is_unknown() -> None:
    payload = basil_subscription("customer.subscription.created", "evt_tiered")
    price = payload["data"]["object"]["items"]["data"][0]["price"]
    price.update({"billing_scheme": "tiered", "unit_amount": None, "unit_amount_decimal": None})

    outcome = normalise(payload, known={OPENAPI_CUSTOMER: "globex"})
    assert (outcome.events, outcome.unmapped) == ([], [])
    [ignored] = outcome.ignored
    assert ignored.path == "data.object.items.data.0"
    assert "si_QXhVnC2h0Jczwc has a tiered price" in ignored.reason
    assert "POST /v1/events" in ignored.reason


@pytest.mark.parametrize(
    ("interval", "got"),
    [("fortnight", "'fortnight'"), (["month"], "an array"), ({"month": 1}, "an object")],
)
def test_a_subscription_with_an_unknown_interval_is_a_payload_error(
    interval: object, got: str
) -> None:
    payload = basil_subscription("customer.subscription.created", "evt_fortnight")
    payload["data"]["object"]["items"]["data"][0]["price"]["recurring"]["interval"] = interval

    with pytest.raises(PayloadError) as caught:
        normalise(payload, known={OPENAPI_CUSTOMER: "globex"})
    assert caught.value.path == "data.object.items.data.0.price.recurring.interval"
    assert caught.value.message == f"expected one of day, week, month, year, got {got}"
