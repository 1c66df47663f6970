"""What one subscription item of Stripe's costs a year, in minor units of its currency.

An item's price (or, before prices and beside them until 2025-03-31, its plan) gives a unit
amount, perhaps fractional, per billing period; `annual_minor` multiplies it by the billed
quantity (after `transform_quantity`) and by the periods a year holds (365 days, 52 weeks, 12
months or 1 year, divided by `interval_count`). Metered items cost 0; an item whose tiered price
a webhook does not carry raises `Unpriced`, as its subscription's ARR is not told.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from pulse.common.events.messages import describe
from pulse.ingest.sources.base import Ignored, PayloadError
from pulse.ingest.sources.stripe.values import is_int, text

ZERO = Decimal(0)
_PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12, "year": 1}
_PLAIN_DECIMAL = re.compile(r"\d{1,30}(\.\d{1,30})?", re.ASCII)


class Unpriced(Exception):
    """A subscription whose ARR the webhook does not tell; it becomes `Ignored`."""

    def __init__(self, ignored: Ignored) -> None:
        super().__init__(ignored.reason)
        self.ignored = ignored


@dataclass(frozen=True, slots=True)
class _Rate:
    """What one subscription item costs per unit and billing period."""

    unit_amount: Decimal | None  # minor units, perhaps fractional; None when tiered
    currency: str | None
    periods_per_year: Decimal
    metered: bool
    divide_by: int = 1
    round_up: bool = False


def annual_minor(item: Mapping[str, Any], path: str) -> Decimal:
    rate = _rate(item, path)
    if rate.metered:
        return ZERO
    if rate.unit_amount is None:
        raise Unpriced(
            Ignored(
                path,
                f"subscription item {text(item.get('id'))} has a tiered price, whose tiers a "
                "webhook does not carry, so Pulse cannot tell the ARR; send contract.changed "
                "to POST /v1/events instead",
            )
        )
    quantity = item.get("quantity")
    if quantity is None:
        quantity = 1  # Stripe's default quantity
    if not is_int(quantity) or quantity < 0:
        raise PayloadError(f"{path}.quantity", f"expected a count, got {describe(quantity)}")
    units = (Decimal(quantity) / rate.divide_by).to_integral_value(
        ROUND_CEILING if rate.round_up else ROUND_FLOOR
    )
    return rate.unit_amount * units * rate.periods_per_year


def _rate(item: Mapping[str, Any], path: str) -> _Rate:
    price = item.get("price")
    if isinstance(price, dict) and isinstance(price.get("recurring"), dict):
        at = f"{path}.price"
        recurring = price["recurring"]
        transform = price.get("transform_quantity")
        divide_by, round_up = _transform(transform, f"{at}.transform_quantity")
        return _Rate(
            unit_amount=_unit_amount(price, "unit_amount", at),
            currency=text(price.get("currency")),
            periods_per_year=_periods_per_year(recurring, f"{at}.recurring"),
            metered=recurring.get("usage_type") == "metered",
            divide_by=divide_by,
            round_up=round_up,
        )
    plan = item.get("plan")
    if isinstance(plan, dict):  # before prices (and beside them until 2025-03-31)
        return _Rate(
            unit_amount=_unit_amount(plan, "amount", f"{path}.plan"),
            currency=text(plan.get("currency")),
            periods_per_year=_periods_per_year(plan, f"{path}.plan"),
            metered=plan.get("usage_type") == "metered",
        )
    raise PayloadError(path, "expected a recurring price or a plan")


def _unit_amount(rate: Mapping[str, Any], field: str, path: str) -> Decimal | None:
    """`<field>_decimal` (a string that may hold fractions of a cent), else `<field>`."""
    precise = rate.get(f"{field}_decimal")
    if isinstance(precise, str) and _PLAIN_DECIMAL.fullmatch(precise.strip()):
        return Decimal(precise.strip())
    amount = rate.get(field)
    if amount is None:
        return None
    if not is_int(amount) or amount < 0:
        raise PayloadError(f"{path}.{field}", f"expected minor units, got {describe(amount)}")
    return Decimal(amount)


def _periods_per_year(recurring: Mapping[str, Any], path: str) -> Decimal:
    interval = recurring.get("interval")
    count = recurring.get("interval_count")
    count = 1 if count is None else count
    if interval not in _PERIODS_PER_YEAR:
        expected = ", ".join(_PERIODS_PER_YEAR)
        raise PayloadError(
            f"{path}.interval", f"expected one of {expected}, got {describe(interval)}"
        )
    if not is_int(count) or count < 1:
        raise PayloadError(f"{path}.interval_count", f"expected 1 or more, got {describe(count)}")
    return Decimal(_PERIODS_PER_YEAR[interval]) / Decimal(count)


def _transform(transform: object, path: str) -> tuple[int, bool]:
    """`transform_quantity` bills per `divide_by` units (e.g. per 10 seats), rounded up or down."""
    if not isinstance(transform, dict):
        return 1, False
    divide_by = transform.get("divide_by")
    if not is_int(divide_by) or divide_by < 1:
        raise PayloadError(f"{path}.divide_by", f"expected 1 or more, got {describe(divide_by)}")
    return divide_by, transform.get("round") == "up"


def first_currency(items: list[tuple[str, Mapping[str, Any]]]) -> str | None:
    """Every item of a subscription bills in its currency; the first one names it."""
    for path, item in items:
        return _rate(item, path).currency
    return None
