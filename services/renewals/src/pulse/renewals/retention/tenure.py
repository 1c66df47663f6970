"""Tenure: the ARR of long-standing accounts against what they first signed for.

The accounts active at `end` whose first contract began more than `years` (default 3)
before `end`: their average ARR at `end` and their average first-contract ARR, both at the
rates of `end`'s day, so the comparison is in constant currency. Three years before 29
February is 28 February.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from fractions import Fraction

from pulse.renewals.contracts.timeline import ContractTimeline
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.period import Period

DEFAULT_TENURE_YEARS = 3


@dataclass(frozen=True, slots=True)
class TenureComparison:
    """Sums over the long-standing accounts; the averages follow from them."""

    accounts: int = 0
    current_arr: int = 0
    first_contract_arr: int = 0

    def __add__(self, other: TenureComparison) -> TenureComparison:
        return TenureComparison(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @property
    def average_arr(self) -> Fraction | None:
        """Average ARR at `end`, in minor units."""
        return Fraction(self.current_arr, self.accounts) if self.accounts else None

    @property
    def average_first_contract_arr(self) -> Fraction | None:
        """Average first-contract ARR, in minor units."""
        return Fraction(self.first_contract_arr, self.accounts) if self.accounts else None

    @property
    def growth_multiple(self) -> Fraction | None:
        """Average ARR ÷ average first-contract ARR."""
        if not self.first_contract_arr:
            return None
        return Fraction(self.current_arr, self.first_contract_arr)


def years_before(moment: datetime, years: int) -> datetime:
    """The same date and time `years` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def tenure_member(
    timeline: ContractTimeline,
    period: Period,
    rates: RateTable,
    *,
    years: int = DEFAULT_TENURE_YEARS,
) -> TenureComparison:
    """One account's share of the tenure figures (zero unless active and old enough)."""
    first = timeline.first_contract
    current = timeline.arr_at(period.end)
    cutoff = years_before(period.end, years)
    if first is None or current is None or current.minor == 0 or first.effective_at >= cutoff:
        return TenureComparison()
    return TenureComparison(
        accounts=1,
        current_arr=rates.convert(current, period.end_day),
        first_contract_arr=rates.convert(first.after, period.end_day),
    )
