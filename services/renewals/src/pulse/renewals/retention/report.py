"""`retention_report`: every retention figure of a period, in total and per group.

An account is in a group by its attribute at the period's `start` (the cohort's attribute
at start, the SaaS convention); an account without one then (a new logo, typically) takes
the first value it was given in the period; with none at all its group is None. Each
account is in exactly one group and every figure is a sum over accounts (ratios are taken
from the sums), so the groups add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pulse.common.events.enums import ContractReasonCategory
from pulse.renewals.contracts.attributes import Attribute, AttributeHistory
from pulse.renewals.contracts.timeline import ContractTimeline
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.cohort import CohortRetention, cohort_member
from pulse.renewals.retention.movements import ChurnedArr, PeriodMovements, account_movements
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.tenure import DEFAULT_TENURE_YEARS, TenureComparison, tenure_member


@dataclass(frozen=True, slots=True)
class AccountHistory:
    """What the core knows of one account: its contracts and its attributes over time."""

    account_id: str
    contracts: ContractTimeline
    attributes: AttributeHistory = field(default_factory=AttributeHistory)


@dataclass(frozen=True, slots=True)
class ChurnReason:
    """Churn steps of one reason category: how many, and the ARR they took."""

    count: int = 0
    arr: int = 0

    def __add__(self, other: ChurnReason) -> ChurnReason:
        return ChurnReason(self.count + other.count, self.arr + other.arr)


#: Churn per reason category; None for a churn that gave none.
ChurnReasons = Mapping[ContractReasonCategory | None, ChurnReason]


@dataclass(frozen=True, slots=True)
class RetentionFigures:
    """Every figure of a set of accounts over a period."""

    movements: PeriodMovements = field(default_factory=PeriodMovements)
    cohort: CohortRetention = field(default_factory=CohortRetention)
    churn_reasons: ChurnReasons = field(default_factory=lambda: MappingProxyType({}))
    tenure: TenureComparison = field(default_factory=TenureComparison)

    def __add__(self, other: RetentionFigures) -> RetentionFigures:
        reasons = dict(self.churn_reasons)
        for reason, churn in other.churn_reasons.items():
            reasons[reason] = reasons.get(reason, ChurnReason()) + churn
        return RetentionFigures(
            self.movements + other.movements,
            self.cohort + other.cohort,
            MappingProxyType(reasons),
            self.tenure + other.tenure,
        )


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """The figures of a period in one reporting currency: in total, and per group."""

    period: Period
    currency: str
    total: RetentionFigures
    group_by: Attribute | None = None
    groups: Mapping[str | None, RetentionFigures] = field(
        default_factory=lambda: MappingProxyType({})
    )


def retention_report(
    accounts: Iterable[AccountHistory],
    period: Period,
    rates: RateTable,
    *,
    group_by: Attribute | None = None,
    include_reactivations: bool = False,
    tenure_years: int = DEFAULT_TENURE_YEARS,
) -> RetentionReport:
    """The retention figures of `accounts` over `period`, in `rates.reporting`."""
    total = RetentionFigures()
    groups: dict[str | None, RetentionFigures] = {}
    for account in accounts:
        figures = account_figures(
            account.contracts,
            period,
            rates,
            include_reactivations=include_reactivations,
            tenure_years=tenure_years,
        )
        if figures is None:
            continue
        total += figures
        if group_by is not None:
            key = group_of(account.attributes, group_by, period)
            groups[key] = groups.get(key, RetentionFigures()) + figures
    return RetentionReport(period, rates.reporting, total, group_by, MappingProxyType(groups))


def account_figures(
    timeline: ContractTimeline,
    period: Period,
    rates: RateTable,
    *,
    include_reactivations: bool = False,
    tenure_years: int = DEFAULT_TENURE_YEARS,
) -> RetentionFigures | None:
    """One account's figures; None when it neither paid at `start` nor moved in the period."""
    if not timeline.is_active_at(period.start) and not timeline.steps_between(
        period.start, period.end
    ):
        return None
    moved = account_movements(timeline, period, rates)
    return RetentionFigures(
        moved.movements,
        cohort_member(timeline, period, rates, include_reactivations=include_reactivations),
        _reasons_of(moved.churned),
        tenure_member(timeline, period, rates, years=tenure_years),
    )


def group_of(attributes: AttributeHistory, attribute: Attribute, period: Period) -> str | None:
    """The account's group: its attribute at `start`, else the first one set in the period."""
    at_start = attributes.value_at(attribute, period.start)
    if at_start is not None:
        return at_start
    return attributes.first_value_between(attribute, period.start, period.end)


def _reasons_of(churned: tuple[ChurnedArr, ...]) -> ChurnReasons:
    reasons: dict[ContractReasonCategory | None, ChurnReason] = {}
    for step in churned:
        reasons[step.reason_category] = reasons.get(
            step.reason_category, ChurnReason()
        ) + ChurnReason(1, step.arr)
    return MappingProxyType(reasons)
