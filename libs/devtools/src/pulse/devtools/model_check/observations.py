"""What validation looks at: contract outcomes in a period, and each account's score and
components as they stood some time before its outcome.

An account's outcome in a period is its first churn there (the step that left it without
ARR), else its first change that kept it paying (a renewal, expansion or contraction
label with ARR after it): churn wins, so an account that renewed and then left counts as
churned. New contracts and reactivations are not outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pulse.common.events.enums import ContractChange
from pulse.renewals.contracts.timeline import ContractStep, StepKind

#: Source labels of a change that keeps the account as a customer.
KEEPING_CHANGES = frozenset(
    {ContractChange.RENEWAL, ContractChange.EXPANSION, ContractChange.CONTRACTION}
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """An account churned or was kept at `at` (the change's effective time)."""

    account_id: str
    at: datetime
    churned: bool
    #: The churn's reason category, None for a kept account or a churn without one.
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """One measure's score (0-100, None: dropped for missing data) in a stored score."""

    measure: str
    group: str
    score: float | None


@dataclass(frozen=True, slots=True)
class Observation:
    """An outcome with the account's score as it stood `horizon` before it; `score` and
    `band` are None when the account had no score yet then (unscored)."""

    outcome: Outcome
    score: float | None
    band: str | None
    components: tuple[ComponentScore, ...] = ()

    @property
    def churned(self) -> bool:
        """Whether the account churned."""
        return self.outcome.churned

    def measure_scores(self) -> dict[str, float]:
        """Each present measure's score."""
        return {c.measure: c.score for c in self.components if c.score is not None}


def outcome_of(
    account_id: str, steps: Sequence[ContractStep], start: datetime, end: datetime
) -> Outcome | None:
    """The account's outcome among `steps` effective in [start, end); None without one."""
    in_period = [step for step in steps if start <= step.effective_at < end]
    for step in in_period:
        if step.kind is StepKind.CHURN:
            reason = step.event.reason_category
            return Outcome(account_id, step.effective_at, True, reason.value if reason else None)
    for step in in_period:
        if step.event.change in KEEPING_CHANGES and step.after.minor > 0:
            return Outcome(account_id, step.effective_at, False)
    return None


def components_of(stored: Sequence[dict[str, object]]) -> tuple[ComponentScore, ...]:
    """The measure scores of a stored `components` document (health's `Component`s)."""
    found = []
    for item in stored:
        score = item.get("score")
        found.append(
            ComponentScore(
                str(item["measure"]),
                str(item["group"]),
                float(score) if isinstance(score, int | float) else None,
            )
        )
    return tuple(found)
