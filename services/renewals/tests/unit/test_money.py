"""Minor units and the rate table: exact integers, rounding half to even, clear errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.minor_units import UnknownCurrency, to_major, to_minor
from pulse.renewals.money.rates import DatedRate, MissingRate, RateTable


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("1234.56", "EUR", 123456),
        ("10.005", "USD", 1000),  # half to even: 1000.5 -> 1000
        ("10.015", "USD", 1002),  # 1001.5 -> 1002
        ("1500", "JPY", 1500),  # no minor unit
        ("1500.5", "JPY", 1500),
        ("12.3456", "KWD", 12346),  # three decimals: 12345.6 -> 12346
        ("0.0001", "CLF", 1),  # four decimals
    ],
)
def test_decimals_become_minor_units_once(major: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(major), currency) == minor


def test_minor_units_read_back_exactly() -> None:
    assert to_major(123456, "EUR") == Decimal("1234.56")
    assert Amount.of(Decimal("99.99"), "USD") == Amount(9999, "USD")
    assert Amount(12346, "KWD").major == Decimal("12.346")


def test_an_unknown_code_is_named() -> None:
    with pytest.raises(UnknownCurrency, match="'EURO' is not an active ISO 4217"):
        Amount(100, "EURO")


TABLE = RateTable(
    "EUR",
    {
        "USD": (
            DatedRate(date(2026, 1, 1), Decimal("0.90")),
            DatedRate(date(2026, 7, 1), Decimal("0.80")),
        ),
        "JPY": (DatedRate(date(2026, 1, 1), Decimal("0.0061")),),
    },
)


def test_a_rate_is_in_force_from_its_day_until_the_next() -> None:
    # 1,000.00 USD = 100000 cents; * 0.90 = 90000 EUR cents, then * 0.80 from 1 July.
    assert TABLE.convert(Amount(100000, "USD"), date(2026, 6, 30)) == 90000
    assert TABLE.convert(Amount(100000, "USD"), date(2026, 7, 1)) == 80000
    assert TABLE.convert(Amount(100000, "USD"), date(2030, 1, 1)) == 80000


def test_conversion_scales_minor_units_and_rounds_half_to_even() -> None:
    # 1,000,000 JPY (no minor unit) * 0.0061 = 6,100.00 EUR = 610000 cents.
    assert TABLE.convert(Amount(1_000_000, "JPY"), date(2026, 3, 1)) == 610000
    # 25 JPY * 0.0061 = 0.1525 EUR = 15.25 cents -> 15; 75 JPY: 45.75 cents -> 46.
    assert TABLE.convert(Amount(25, "JPY"), date(2026, 3, 1)) == 15
    assert TABLE.convert(Amount(75, "JPY"), date(2026, 3, 1)) == 46
    # 0.05 USD * 0.90 = 4.5 cents -> 4 (half to even).
    assert TABLE.convert(Amount(5, "USD"), date(2026, 3, 1)) == 4


def test_the_reporting_currency_converts_at_one_on_any_day() -> None:
    assert TABLE.convert(Amount(123, "EUR"), date(1999, 1, 1)) == 123


def test_a_currency_without_a_rate_is_a_domain_error_naming_it() -> None:
    with pytest.raises(UnknownCurrency, match="'GBP' has no rate into EUR"):
        TABLE.convert(Amount(100, "GBP"), date(2026, 3, 1))


def test_a_day_before_the_first_rate_is_a_domain_error() -> None:
    with pytest.raises(MissingRate, match="no USD rate in force on 2025-12-31"):
        TABLE.convert(Amount(100, "USD"), date(2025, 12, 31))


def test_zero_needs_no_rate() -> None:
    assert TABLE.convert(Amount(0, "GBP"), date(2026, 3, 1)) == 0


def test_rates_must_be_dated_in_order_and_positive() -> None:
    with pytest.raises(ValueError, match="oldest first"):
        RateTable(
            "EUR",
            {
                "USD": (
                    DatedRate(date(2026, 7, 1), Decimal(1)),
                    DatedRate(date(2026, 1, 1), Decimal(1)),
                )
            },
        )
    with pytest.raises(ValueError, match="above 0"):
        DatedRate(date(2026, 1, 1), Decimal(0))
    with pytest.raises(ValueError, match="reporting currency"):
        RateTable("EUR", {"EUR": (DatedRate(date(2026, 1, 1), Decimal(1)),)})
