"""Cohort retention (the SaaS Capital / KeyBanc convention), in constant currency.

The cohort is the accounts active at `start` (new logos of the period are not in it).
Each member's starting ARR `s` and retained ARR `r` are both converted at the rates of
`start`, so a currency's moves never read as growth or loss; `currency_effect` is what
the retained ARR gains or loses at the rates of `end` instead. `r` is the ARR at `end`,
except that a member that churned in the period counts 0 even if it came back
(reactivations are excluded) unless `include_reactivations`.

    NRR = Σ r / Σ s        GRR = Σ min(r, s) / Σ s  (≤ 1)
    NRR - GRR = Σ max(r - s, 0) / Σ s   (the net growth of the members that grew)

Logo churn = members that churned (and, with reactivations included, had not come back
by `end`) ÷ members. Grown share = members with r > s ÷ members.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction

from pulse.renewals.contracts.timeline import ContractTimeline, StepKind
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.period import Period


@dataclass(frozen=True, slots=True)
class CohortRetention:
    """Sums over the members of a cohort; the ratios follow from them."""

    accounts: int = 0
    starting_arr: int = 0
    retained_arr: int = 0
    capped_arr: int = 0
    currency_effect: int = 0
    churned_accounts: int = 0
    grown_accounts: int = 0

    def __add__(self, other: CohortRetention) -> CohortRetention:
        return CohortRetention(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @property
    def expansion_arr(self) -> int:
        """Σ max(r - s, 0): what the members that grew added."""
        return self.retained_arr - self.capped_arr

    @property
    def nrr(self) -> Fraction | None:
        """Net revenue retention; None for a cohort without ARR."""
        return _ratio(self.retained_arr, self.starting_arr)

    @property
    def grr(self) -> Fraction | None:
        """Gross revenue retention, each member capped at its starting ARR."""
        return _ratio(self.capped_arr, self.starting_arr)

    @property
    def logo_churn_rate(self) -> Fraction | None:
        """Members churned ÷ members."""
        return _ratio(self.churned_accounts, self.accounts)

    @property
    def grown_share(self) -> Fraction | None:
        """Members whose retained ARR is above their starting ARR ÷ members."""
        return _ratio(self.grown_accounts, self.accounts)


def cohort_member(
    timeline: ContractTimeline,
    period: Period,
    rates: RateTable,
    *,
    include_reactivations: bool = False,
) -> CohortRetention:
    """One account's share of the cohort figures (all zero when it is not a member)."""
    if not timeline.is_active_at(period.start):
        return CohortRetention()
    opening, closing = timeline.arr_at(period.start), timeline.arr_at(period.end)
    assert opening is not None  # active at start
    assert closing is not None  # a timeline with a change before start has one before end
    kinds = {step.kind for step in timeline.steps_between(period.start, period.end)}
    churned = StepKind.CHURN in kinds
    came_back = churned and closing.minor > 0
    counted = not churned or (include_reactivations and came_back)
    starting = rates.convert(opening, period.start_day)
    retained = rates.convert(closing, period.start_day) if counted else 0
    at_end_rates = rates.convert(closing, period.end_day) if counted else 0
    return CohortRetention(
        accounts=1,
        starting_arr=starting,
        retained_arr=retained,
        capped_arr=min(retained, starting),
        currency_effect=at_end_rates - retained,
        churned_accounts=int(churned and not (include_reactivations and came_back)),
        grown_accounts=int(retained > starting),
    )


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None
