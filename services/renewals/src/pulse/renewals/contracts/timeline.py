"""`ContractTimeline`: one account's contract changes in effective-time order.

Changes are kept sorted by (effective_at, event_id), so a late change inserts into the
past and every figure follows from the set of changes alone, never from arrival order. An
id seen before changes nothing (`DUPLICATE`; `CONFLICT` when its content differs: the
first is kept, and the edge counts it).

Moments: the ARR `at` a moment is what the changes effective *before* it left in force. A
change effective exactly at `t` is a movement of a period starting at `t`, not part of its
opening ARR, so the periods [from, to) tile time with nothing counted twice.

Each change is a step from the ARR before to its `arr_after`, named by those two values
(ChartMogul's convention) rather than by the label the source gave: 0 to more is `new`
the first time and `reactivation` after; more to 0 is `churn`; otherwise `expansion`,
`contraction` or `flat`. A `renewal` at a higher ARR is thus an expansion.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.money.amounts import Amount


class Applied(StrEnum):
    """What applying a change did."""

    TAKEN = "taken"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class StepKind(StrEnum):
    """The movement a change makes, from the ARR before it to the ARR after."""

    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class ContractStep:
    """A change with the ARR in force before it (zero in its currency before any)."""

    event: ContractEvent
    before: Amount
    kind: StepKind

    @property
    def after(self) -> Amount:
        """The ARR in force from the change on."""
        return self.event.arr_after

    @property
    def effective_at(self) -> datetime:
        """When the change took effect."""
        return self.event.effective_at


class ContractTimeline:
    """The contract changes of one account, applied in effective-time order."""

    def __init__(self) -> None:
        self._events: dict[str, ContractEvent] = {}
        self._keys: list[tuple[datetime, str]] = []
        self._steps: tuple[ContractStep, ...] | None = None

    def apply(self, event: ContractEvent) -> Applied:
        """Insert a change at its effective time; a known id changes nothing."""
        known = self._events.get(event.event_id)
        if known is not None:
            return Applied.DUPLICATE if known == event else Applied.CONFLICT
        self._events[event.event_id] = event
        insort(self._keys, event.order_key)
        self._steps = None
        return Applied.TAKEN

    @property
    def steps(self) -> tuple[ContractStep, ...]:
        """Every change as a step, in effective-time order."""
        if self._steps is None:
            self._steps = _steps_of([self._events[key[1]] for key in self._keys])
        return self._steps

    def arr_at(self, moment: datetime) -> Amount | None:
        """The ARR in force at `moment` (changes effective before it); None before any."""
        index = bisect_left(self._keys, (moment, ""))
        return self.steps[index - 1].after if index else None

    def is_active_at(self, moment: datetime) -> bool:
        """Whether the account pays anything at `moment`."""
        arr = self.arr_at(moment)
        return arr is not None and arr.minor > 0

    def steps_between(self, start: datetime, end: datetime) -> tuple[ContractStep, ...]:
        """The steps effective in [start, end)."""
        low = bisect_left(self._keys, (start, ""))
        high = bisect_left(self._keys, (end, ""))
        return self.steps[low:high]

    def churn_at(self, moment: datetime) -> ContractStep | None:
        """The churn that left the account without ARR at `moment` (its reason category is
        `event.reason_category`); None while it pays or before its first contract."""
        index = bisect_left(self._keys, (moment, ""))
        for step in reversed(self.steps[:index]):
            if step.after.minor > 0:
                return None
            if step.kind is StepKind.CHURN:
                return step
        return None

    @property
    def first_contract(self) -> ContractStep | None:
        """The first `new` step: the account's first ARR and when it began."""
        return next((step for step in self.steps if step.kind is StepKind.NEW), None)


def _steps_of(events: list[ContractEvent]) -> tuple[ContractStep, ...]:
    steps: list[ContractStep] = []
    before: Amount | None = None
    ever_active = False
    for event in events:
        held = before if before is not None else Amount(0, event.arr_after.currency)
        kind = step_kind(held, event.arr_after, ever_active)
        steps.append(ContractStep(event, held, kind))
        ever_active = ever_active or event.arr_after.minor > 0
        before = event.arr_after
    return tuple(steps)


def step_kind(before: Amount, after: Amount, ever_active: bool) -> StepKind:
    """The movement from `before` to `after` (compared in minor units when the currency is
    the same; a change of currency with ARR on both sides is `flat` here, and the retention
    figures size it in the reporting currency)."""
    if before.minor == 0 and after.minor > 0:
        return StepKind.REACTIVATION if ever_active else StepKind.NEW
    if before.minor > 0 and after.minor == 0:
        return StepKind.CHURN
    if before.currency != after.currency or before.minor == after.minor:
        return StepKind.FLAT
    return StepKind.EXPANSION if after.minor > before.minor else StepKind.CONTRACTION
