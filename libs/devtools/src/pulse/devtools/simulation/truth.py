"""The ground truth of a simulation: per account, who it was and what it decided.

Written to a file by `pulse simulate` and never sent to the services: it is what model
validation on simulated data is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulse.devtools.simulation.base import AccountProfile
from pulse.devtools.simulation.envelopes import money
from pulse.devtools.simulation.state import RecordedOutcome


@dataclass(frozen=True, slots=True)
class TruthRecord:
    """One account's truth: its profile and its renewal outcomes inside the simulation."""

    profile: AccountProfile
    outcomes: tuple[RecordedOutcome, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of one line of the truth file (see docs/simulation.md)."""
        p = self.profile
        first = self.outcomes[0].outcome if self.outcomes else None
        return {
            "account_id": p.account_id,
            "name": p.name,
            "segment": p.segment,
            "plan": p.plan,
            "owner": p.owner,
            "industry": p.industry,
            "currency": p.currency,
            "arr": money(p.arr),
            "seats": p.seats,
            "persona": p.persona.value,
            "persona_onset": p.onset_day,
            "renewal_date": p.renewal_date.isoformat(),
            "outcome": first.change if first else None,
            "outcome_date": self.outcomes[0].renewal_date.isoformat() if first else None,
            "churn_reason": first.reason_category if first and first.change == "churn" else None,
            "outcomes": [_outcome_dict(o) for o in self.outcomes],
        }


def _outcome_dict(recorded: RecordedOutcome) -> dict[str, Any]:
    outcome = recorded.outcome
    return {
        "date": recorded.renewal_date.isoformat(),
        "change": outcome.change,
        "arr_before": money(outcome.arr_before),
        "arr_after": money(outcome.arr_after),
        "reason_category": outcome.reason_category,
        "churn_probability": round(outcome.churn_probability, 4),
    }


def truth_record(profile: AccountProfile, outcomes: list[RecordedOutcome]) -> TruthRecord:
    """The truth of one account from its profile and the outcomes recorded so far."""
    return TruthRecord(profile, tuple(outcomes))
