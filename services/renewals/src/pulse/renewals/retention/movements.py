"""Period movements (ChartMogul's convention), per account and summed, in reporting units.

    starting + new + expansion - contraction - churn + reactivation + currency_effect
        = ending

`starting` is the ARR at `start` at that day's rates, `ending` the ARR at `end` at that
day's rates. Each step is sized at the rates of its effective day: its ARR before and
after, converted that day. Between two moments an account holds one amount; what that
amount gains or loses in the reporting currency from one moment's rates to the next is
`currency_effect`, never expansion or contraction. The equation is exact: every term is a
sum of the same rounded integers, each moment's converted ARR appearing once with each
sign.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from pulse.common.events.enums import ContractReasonCategory
from pulse.renewals.contracts.timeline import ContractStep, ContractTimeline, StepKind
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.period import Period, rate_day


@dataclass(frozen=True, slots=True)
class PeriodMovements:
    """ARR movements of a period; `contraction` and `churn` are amounts taken away (≥ 0)."""

    starting: int = 0
    new: int = 0
    expansion: int = 0
    contraction: int = 0
    churn: int = 0
    reactivation: int = 0
    currency_effect: int = 0
    ending: int = 0

    def __add__(self, other: PeriodMovements) -> PeriodMovements:
        return PeriodMovements(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @property
    def net_change(self) -> int:
        """The movements' sum, which equals `ending - starting`."""
        return (
            self.new
            + self.expansion
            - self.contraction
            - self.churn
            + self.reactivation
            + self.currency_effect
        )


@dataclass(frozen=True, slots=True)
class ChurnedArr:
    """One churn step: the ARR lost, at the rates of its day, and the reason category."""

    reason_category: ContractReasonCategory | None
    arr: int


@dataclass(frozen=True, slots=True)
class AccountMovements:
    """The movements of one account over a period, and its churn steps."""

    movements: PeriodMovements
    churned: tuple[ChurnedArr, ...]


def account_movements(
    timeline: ContractTimeline, period: Period, rates: RateTable
) -> AccountMovements:
    """Size every step of `timeline` in `period` in the reporting currency of `rates`."""
    held = timeline.arr_at(period.start)
    held_day = period.start_day
    starting = _convert(held, held_day, rates)
    totals = dict.fromkeys(["new", "expansion", "contraction", "churn", "reactivation"], 0)
    currency_effect = 0
    churned: list[ChurnedArr] = []
    for step in timeline.steps_between(period.start, period.end):
        day = rate_day(step.effective_at)
        currency_effect += _convert(held, day, rates) - _convert(held, held_day, rates)
        before, after = rates.convert(step.before, day), rates.convert(step.after, day)
        name, size = _movement(step, before, after)
        if name is not None:
            totals[name] += size
        if step.kind is StepKind.CHURN:
            churned.append(ChurnedArr(step.event.reason_category, before))
        held, held_day = step.after, day
    ending = _convert(held, period.end_day, rates)
    currency_effect += ending - _convert(held, held_day, rates)
    movements = PeriodMovements(
        starting=starting, currency_effect=currency_effect, ending=ending, **totals
    )
    return AccountMovements(movements, tuple(churned))


def _movement(step: ContractStep, before: int, after: int) -> tuple[str | None, int]:
    """Which line a step adds to, and how much (a change with ARR on both sides is sized
    by its converted values, so a change of currency is measured in reporting units)."""
    if step.kind is StepKind.NEW:
        return "new", after
    if step.kind is StepKind.REACTIVATION:
        return "reactivation", after
    if step.kind is StepKind.CHURN:
        return "churn", before
    if after > before:
        return "expansion", after - before
    if after < before:
        return "contraction", before - after
    return None, 0


def _convert(amount: Amount | None, day: date, rates: RateTable) -> int:
    return 0 if amount is None else rates.convert(amount, day)
