"""Tenure: accounts older than three years at the end, against their first contract."""

from __future__ import annotations

from datetime import timedelta

from pulse.common.events.enums import ContractChange
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.tenure import TenureComparison, tenure_member, years_before

from .builders import change, day, timeline_of

PERIOD = Period(day(2026, 1, 1), day(2027, 1, 1))
EUR = RateTable.single("EUR")
SECOND = timedelta(seconds=1)


def test_three_years_before_a_leap_day_is_the_28th() -> None:
    assert years_before(day(2028, 2, 29), 3) == day(2025, 2, 28)
    assert years_before(day(2027, 1, 1), 3) == day(2024, 1, 1)


def test_older_than_three_years_is_strict() -> None:
    exactly = timeline_of(change("a", day(2024, 1, 1), 100, kind=ContractChange.NEW))
    older = timeline_of(change("a", day(2024, 1, 1) - SECOND, 100, kind=ContractChange.NEW))
    assert tenure_member(exactly, PERIOD, EUR) == TenureComparison()
    assert tenure_member(older, PERIOD, EUR) == TenureComparison(1, 100, 100)


def test_an_account_gone_by_the_end_is_not_compared() -> None:
    gone = timeline_of(
        change("a", day(2020, 1, 1), 100, kind=ContractChange.NEW),
        change("b", day(2026, 6, 1), 0, kind=ContractChange.CHURN),
    )
    assert tenure_member(gone, PERIOD, EUR) == TenureComparison()
