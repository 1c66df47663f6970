"""What one subscription item of Stripe's costs a year, in minor units of its currency.

An item's price (or, before prices and beside them until 2025-03-31, its plan) gives a unit
amount, perhaps fractional, per billing period; `annual_minor` multiplies it by the billed
quantity (after `transform_quantity`) and by the periods a year holds (365 days, 52 weeks, 12
months or 1 year, divided by `interval_count`). Metered items cost 0; an item whose tiered price
a webhook does not carry raises `Unpriced`, as its subscription's ARR is not told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pulse.common.events.messages import describe
from pulse.ingest.sources.base import Ignored, PayloadError
from pulse.ingest.sources.payload import PayloadObject, is_int

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


def annual_minor(item: PayloadObject) -> Decimal:
    rate = _rate(item)
    if rate.metered:
        return ZERO
    if rate.unit_amount is None:
        raise Unpriced(
            Ignored(
                item.path,
                f"subscription item {item.text('id')} has a tiered price, whose tiers a "
                "webhook does not carry, so Pulse cannot tell the ARR; send contract.changed "
                "to POST /v1/events instead",
            )
        )
    quantity = item.get("quantity")
    if quantity is None:
        quantity = 1  # Stripe's default quantity
    if not is_int(quantity) or quantity < 0:
        raise item.error("quantity", f"expected a count, got {describe(quantity)}")
    units = (Decimal(quantity) / rate.divide_by).to_integral_value(
        ROUND_CEILING if rate.round_up else ROUND_FLOOR
    )
    return rate.unit_amount * units * rate.periods_per_year


def _rate(item: PayloadObject) -> _Rate:
    price = item.object_or_none("price")
    recurring = price.object_or_none("recurring") if price is not None else None
    if price is not None and recurring is not None:
        divide_by, round_up = _transform(price.object_or_none("transform_quantity"))
        return _Rate(
            unit_amount=_unit_amount(price, "unit_amount"),
            currency=price.text("currency"),
            periods_per_year=_periods_per_year(recurring),
            metered=recurring.get("usage_type") == "metered",
            divide_by=divide_by,
            round_up=round_up,
        )
    plan = item.object_or_none("plan")
    if plan is not None:  # before prices (and beside them until 2025-03-31)
        return _Rate(
            unit_amount=_unit_amount(plan, "amount"),
            currency=plan.text("currency"),
            periods_per_year=_periods_per_year(plan),
            metered=plan.get("usage_type") == "metered",
        )
    raise PayloadError(item.path, "expected a recurring price or a plan")


def _unit_amount(rate: PayloadObject, field: str) -> Decimal | None:
    """`<field>_decimal` (a string that may hold fractions of a cent), else `<field>`."""
    precise = rate.get(f"{field}_decimal")
    if isinstance(precise, str) and _PLAIN_DECIMAL.fullmatch(precise.strip()):
        return Decimal(precise.strip())
    amount = rate.get(field)
    if amount is None:
        return None
    if not is_int(amount) or amount < 0:
        raise rate.error(field, f"expected minor units, got {describe(amount)}")
    return Decimal(amount)


def _periods_per_year(recurring: PayloadObject) -> Decimal:
    interval = recurring.one_of("interval", _PERIODS_PER_YEAR)
    count = recurring.get("interval_count")
    count = 1 if count is None else count
    if not is_int(count) or count < 1:
        raise recurring.error("interval_count", f"expected 1 or more, got {describe(count)}")
    return Decimal(_PERIODS_PER_YEAR[interval]) / Decimal(count)


def _transform(transform: PayloadObject | None) -> tuple[int, bool]:
    """`transform_quantity` bills per `divide_by` units (e.g. per 10 seats), rounded up or down."""
    if transform is None:
        return 1, False
    divide_by = transform.get("divide_by")
    if not is_int(divide_by) or divide_by < 1:
        raise transform.error("divide_by", f"expected 1 or more, got {describe(divide_by)}")
    return divide_by, transform.get("round") == "up"


def first_currency(items: Sequence[PayloadObject]) -> str | None:
    """Every item of a subscription bills in its currency; the first one names it."""
    return _rate(items[0]).currency if items else None
