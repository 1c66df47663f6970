"""`forecast_totals`: renewal forecasts summed per category, in total and per group.

Groups are the account's segment, its owner, or the renewal month (`2027-01`); an account
without the attribute is in group None. Every total is a sum of the rows' integers, so the
groups add up to the total exactly.

    expected ARR = Σ risk_adjusted_arr      ARR at risk = Σ ARR of the at_risk category
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType

from pulse.renewals.forecast.config import ForecastCategory
from pulse.renewals.forecast.renewals import RenewalForecast


class ForecastGrouping(StrEnum):
    """What forecast totals can be grouped by."""

    SEGMENT = "segment"
    OWNER = "owner"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class CategoryTotals:
    """Sums over the renewals of one category (or of all of them)."""

    renewals: int = 0
    arr: int = 0
    risk_adjusted_arr: int = 0
    expected_expansion: int = 0

    def __add__(self, other: CategoryTotals) -> CategoryTotals:
        return CategoryTotals(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )


@dataclass(frozen=True, slots=True)
class ForecastTotals:
    """Totals per category of a set of renewals; the overall figures follow from them."""

    by_category: Mapping[ForecastCategory, CategoryTotals] = field(
        default_factory=lambda: MappingProxyType({c: CategoryTotals() for c in ForecastCategory})
    )

    def __add__(self, other: ForecastTotals) -> ForecastTotals:
        return ForecastTotals(
            MappingProxyType(
                {c: self.by_category[c] + other.by_category[c] for c in ForecastCategory}
            )
        )

    @property
    def overall(self) -> CategoryTotals:
        """All categories together."""
        return sum(self.by_category.values(), CategoryTotals())

    @property
    def arr_at_risk(self) -> int:
        """The ARR of the renewals forecast at risk."""
        return self.by_category[ForecastCategory.AT_RISK].arr


@dataclass(frozen=True, slots=True)
class ForecastSummary:
    """Totals of a set of renewals, in all and per group."""

    total: ForecastTotals
    group_by: ForecastGrouping | None = None
    groups: Mapping[str | None, ForecastTotals] = field(
        default_factory=lambda: MappingProxyType({})
    )


def forecast_totals(
    forecasts: Iterable[RenewalForecast], group_by: ForecastGrouping | None = None
) -> ForecastSummary:
    """Sum `forecasts` per category, in total and per group."""
    total = ForecastTotals()
    groups: dict[str | None, ForecastTotals] = {}
    for forecast in forecasts:
        row = _totals_of(forecast)
        total += row
        if group_by is not None:
            key = group_key(forecast, group_by)
            groups[key] = groups.get(key, ForecastTotals()) + row
    return ForecastSummary(total, group_by, MappingProxyType(groups))


def group_key(forecast: RenewalForecast, group_by: ForecastGrouping) -> str | None:
    """The group of one renewal."""
    account = forecast.account
    if group_by is ForecastGrouping.MONTH:
        return account.renewal_date.strftime("%Y-%m")
    return account.segment if group_by is ForecastGrouping.SEGMENT else account.owner


def _totals_of(forecast: RenewalForecast) -> ForecastTotals:
    row = CategoryTotals(1, forecast.arr, forecast.risk_adjusted_arr, forecast.expected_expansion)
    return ForecastTotals(
        MappingProxyType(
            {c: row if c is forecast.category else CategoryTotals() for c in ForecastCategory}
        )
    )
