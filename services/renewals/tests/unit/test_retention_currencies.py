"""Several currencies: each movement at its day's rate, currency effects on their own line.

Reporting in EUR; USD buys 0.90 EUR from 2026-01-01 and 0.80 from 2026-07-01. Period
[2026-01-01, 2027-01-01). U pays 10,000 USD, then 12,000 USD from 2026-04-01; V pays
5,000 EUR all year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from pulse.common.events.enums import ContractChange
from pulse.renewals.money.minor_units import UnknownCurrency
from pulse.renewals.money.rates import DatedRate, RateTable
from pulse.renewals.retention.movements import PeriodMovements
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.report import AccountHistory, retention_report

from .builders import account, change, day

YEAR = Period(day(2026, 1, 1), day(2027, 1, 1))
K = 100_000  # 1,000.00 in cents
RATES = RateTable(
    "EUR",
    {
        "USD": (
            DatedRate(date(2026, 1, 1), Decimal("0.90")),
            DatedRate(date(2026, 7, 1), Decimal("0.80")),
        )
    },
)


def book() -> list[AccountHistory]:
    u = account(
        "U",
        change("u1", day(2025, 1, 1), 10 * K, currency="USD", kind=ContractChange.NEW),
        change("u2", day(2026, 4, 1), 12 * K, currency="USD"),
    )
    v = account("V", change("v1", day(2025, 1, 1), 5 * K, kind=ContractChange.NEW))
    return [u, v]


def test_movements_are_sized_at_their_day_and_currency_moves_apart() -> None:
    movements = retention_report(book(), YEAR, RATES).total.movements
    # U: starts at 10,000 * 0.90 = 9,000; expands on 1 April at 0.90: 10,800 - 9,000 = 1,800;
    # ends at 12,000 * 0.80 = 9,600; the 12,000 USD held from April lost 10,800 - 9,600.
    assert movements == PeriodMovements(
        starting=(9 + 5) * K,
        expansion=1_800_00,
        currency_effect=-1_200_00,
        ending=9_600_00 + 5 * K,
    )
    # 14,000 + 1,800 - 1,200 = 14,600
    assert movements.starting + movements.net_change == movements.ending


def test_cohort_figures_are_in_the_currency_rates_of_the_start() -> None:
    cohort = retention_report(book(), YEAR, RATES).total.cohort
    # U retains 12,000 USD at 0.90 = 10,800 against 9,000; V 5,000 against 5,000.
    assert (cohort.starting_arr, cohort.retained_arr) == (14 * K, 15_800_00)
    assert cohort.nrr == Fraction(158, 140)
    assert cohort.grr == Fraction(1)
    # At the end's rates U's 12,000 USD is 9,600, not 10,800: the cohort's currency effect.
    assert cohort.currency_effect == -1_200_00


def test_an_unknown_currency_is_named_never_mixed() -> None:
    gbp = account("G", change("g1", day(2025, 1, 1), 10 * K, currency="GBP"))
    with pytest.raises(UnknownCurrency, match="'GBP' has no rate into EUR"):
        retention_report([*book(), gbp], YEAR, RATES)
