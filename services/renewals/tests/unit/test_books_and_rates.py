"""Books of business by owner with the capacity guideline, and the rates file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pulse.renewals.books_of_business import HeldAccount, owner_books
from pulse.renewals.config import DEFAULT_CAPACITY, Capacity
from pulse.renewals.forecast.config import ForecastCategory
from pulse.renewals.money.amounts import Amount
from pulse.renewals.rates_file import RatesFileError, rate_table


def held(n: int, owner: str | None, segment: str, arr: int, at_risk: bool = False) -> HeldAccount:
    category = ForecastCategory.AT_RISK if at_risk else None
    return HeldAccount(f"a{n:02d}", owner, None, segment, "green", arr, None, category)


def test_a_book_is_over_capacity_past_the_segment_upper_bound() -> None:
    accounts = [held(n, "ana", "high_touch", 100) for n in range(16)]
    accounts += [held(20 + n, "ana", "tech_touch", 10) for n in range(80)]  # pooled: no bound
    accounts += [held(99, "ben", "high_touch", 500, at_risk=True), held(98, None, "low_touch", 7)]
    books = owner_books(accounts, DEFAULT_CAPACITY)
    assert list(books) == ["ana", "ben"]  # an account without owner is in no book
    ana, ben = books["ana"], books["ben"]
    assert (ana.arr, ana.over_capacity) == (16 * 100 + 80 * 10, ["high_touch"])
    assert ana.by_segment == {"high_touch": 16, "tech_touch": 80}
    assert (ben.arr_at_risk, ben.renewals, ben.over_capacity) == (500, 1, [])
    fifteen = owner_books(accounts[:15], DEFAULT_CAPACITY)["ana"]
    assert fifteen.over_capacity == []  # 15 is the bound itself


def test_capacity_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match=r"low \(9\) is above high \(3\)"):
        Capacity(low=9, high=3)


def test_a_rates_file_becomes_a_dated_table() -> None:
    table = rate_table(
        "USD:\n"
        "  - {valid_from: 2026-01-01, rate: 0.90}\n"
        "  - {valid_from: 2026-07-01, rate: 0.80}\n",
        "EUR",
    )
    assert table.convert(Amount(100000, "USD"), date(2026, 6, 30)) == 90000
    assert table.convert(Amount(100000, "USD"), date(2026, 7, 1)) == 80000
    assert table.rate_on("USD", date(2026, 7, 1)) == Decimal("0.80")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("USD: [{valid_from: 2026-01-01, rate: 0}]", "USD[0].rate: Input should be greater than 0"),
        ("USD: [{valid_from: 2026-01-01}]", "USD[0].rate: field required"),
        ("EUR: [{valid_from: 2026-01-01, rate: 1}]", "EUR is the reporting currency"),
        ("ZZZ: [{valid_from: 2026-01-01, rate: 1}]", "currency 'ZZZ' is not an active ISO 4217"),
        ("USD: [", "not valid YAML"),
    ],
)
def test_a_bad_rates_file_names_its_problem(text: str, problem: str) -> None:
    with pytest.raises(RatesFileError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        rate_table(text, "EUR")
