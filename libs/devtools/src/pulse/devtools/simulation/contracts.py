"""The account's attributes and contract: announced on the first day, decided at renewal.

At each renewal date inside the simulation the outcome model decides; the decision is sent
as `contract.changed` (and, unless the account churned, `account.updated` with the next
renewal date) and kept as ground truth.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pulse.devtools.simulation.envelopes import moment_of, money, rfc3339, stamp
from pulse.devtools.simulation.outcomes import REASONS, decide_outcome
from pulse.devtools.simulation.state import AccountState, RecordedOutcome

TERM_DAYS = 365


def emit_account_setup(state: AccountState, on: date) -> None:
    """The account's attributes, then its current contract (signed a year before renewal:
    before day 0, or on `on` for a new logo)."""
    profile = state.profile
    state.log.emit(
        "account.updated",
        stamp(on, 60),
        {
            "name": profile.name,
            "segment": profile.segment,
            "arr": money(state.arr),
            "currency": profile.currency,
            "owner": profile.owner,
            "licensed_seats": state.seats,
            "renewal_date": state.renewal_date.isoformat(),
            "industry": profile.industry,
            "plan": profile.plan,
        },
    )
    signed = state.renewal_date - timedelta(days=TERM_DAYS)
    state.log.emit(
        "contract.changed",
        stamp(on, 61),
        {
            "change": "new",
            "arr_after": money(state.arr),
            "effective_at": rfc3339(moment_of(signed, 0)),
        },
    )


def emit_renewal(state: AccountState, day: int, on: date) -> None:
    """Decide the contract at its renewal date and announce it."""
    r = state.random
    outcome = decide_outcome(
        r, state.profile.segment, state.arr, state.path_summary(day), state.hidden_risk
    )
    data: dict[str, object] = {
        "change": outcome.change,
        "arr_after": money(outcome.arr_after),
        "arr_before": money(outcome.arr_before),
        "effective_at": rfc3339(moment_of(on, 0)),
    }
    if outcome.reason_category is not None:
        data["reason_category"] = outcome.reason_category
        data["reason"] = REASONS[outcome.reason_category]
    state.log.emit("contract.changed", stamp(on, 9 * 3600 + r.randrange(3600)), data)
    state.outcomes.append(RecordedOutcome(day, on, outcome))
    if outcome.change == "churn":
        state.churned = True
        return
    state.seats = max(
        1, round(state.seats * float(outcome.arr_after / max(outcome.arr_before, Decimal(1))))
    )
    state.arr = outcome.arr_after
    state.renewal_date = on + timedelta(days=TERM_DAYS)
    state.log.emit(
        "account.updated",
        stamp(on, 10 * 3600 + r.randrange(3600)),
        {
            "arr": money(state.arr),
            "licensed_seats": state.seats,
            "renewal_date": state.renewal_date.isoformat(),
        },
    )
