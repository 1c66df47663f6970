"""An event costs an account at its limits (ledgers full of open tickets and invoices, the
most distinct users and features) about the work it costs a small account: the Python
function calls of applying it and re-scoring, counted (not timed), must not grow with what
the account holds. A walk over the items calls a key function or decodes an item per item:
thousands of calls."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from pulse.common.events import Event
from pulse.health.scoring.days import day_of
from pulse.health.scoring.lastseen import DEFAULT_LIMIT as DISTINCT_LIMIT
from pulse.health.scoring.ledger import DEFAULT_LIMIT as LEDGER_LIMIT
from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import default_model
from pulse.health.scoring.state import AccountState

Make = Callable[..., Event]
#: Calls an account at its limits may take beyond a small one's: a few binary searches
#: with a key function (about 11 steps for 2,000 items), against thousands for a walk.
MARGIN = 60


def python_calls(action: Callable[[], object]) -> int:
    """How many Python functions (comprehensions and lambdas too) `action` called."""
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def filled(event: Make, now: datetime, items: int, values: int) -> AccountState:
    """An account with `items` open tickets and open invoices, `values` users and features."""
    state = AccountState()
    start = now - timedelta(days=10)
    for n in range(items):
        at = start + timedelta(seconds=n)
        state.apply(event("support.ticket.opened", at, ticket_id=f"t{n}", priority="high"), now)
        state.apply(
            event(
                "invoice.issued", at, invoice_id=f"i{n}", amount="10.10", currency="EUR",
                due_at=(at + timedelta(days=n % 20 - 10)).isoformat(),
            ),
            now,
        )  # fmt: skip
    for n in range(values):
        at = start + timedelta(seconds=n)
        state.apply(event("usage.activity", at, user_id=f"u{n}", feature=f"f{n}"), now)
    return state


def calls_per_event(event: Make, now: datetime, state: AccountState) -> dict[str, int]:
    """Per kind of event, the calls of applying a second one and re-scoring after it (the
    first may build what later ones reuse)."""
    model, results, today = default_model(), MeasureResults(), day_of(now)
    results.measure(model, state, today)
    results.next_change_day(state)
    kinds: dict[str, Callable[[int], Event]] = {
        "new ticket": lambda n: event("support.ticket.opened", now, ticket_id=f"new-t{n}"),
        "ticket resolved": lambda n: event("support.ticket.resolved", now, ticket_id=f"t{n}"),
        "new invoice": lambda n: event(
            "invoice.issued",
            now,
            invoice_id=f"new-i{n}",
            amount="5",
            currency="EUR",
            due_at=(now + timedelta(days=3)).isoformat(),
        ),
        "invoice paid": lambda n: event("invoice.paid", now, invoice_id=f"i{n}"),
        "new user and feature": lambda n: event(
            "usage.activity", now, user_id=f"new-u{n}", feature=f"new-f{n}"
        ),
    }
    counted: dict[str, int] = {}
    for kind, make in kinds.items():
        for n in range(2):
            applied = make(n)

            def apply_and_rescore(applied: Event = applied) -> None:
                state.apply(applied, now)
                results.changed(model, applied.type)
                results.measure(model, state, today)
                results.next_change_day(state)

            counted[kind] = python_calls(apply_and_rescore)
    return counted


def test_an_event_on_an_account_at_its_limits_costs_what_it_costs_a_small_one(
    event: Make, now: datetime
) -> None:
    small = calls_per_event(event, now, filled(event, now, items=20, values=20))
    full_state = filled(event, now, items=LEDGER_LIMIT, values=DISTINCT_LIMIT)
    assert full_state.tickets is not None
    assert len(full_state.tickets) == LEDGER_LIMIT
    full = calls_per_event(event, now, full_state)
    over = {kind: full[kind] - small[kind] for kind in small}
    assert all(extra <= MARGIN for extra in over.values()), (small, full)
