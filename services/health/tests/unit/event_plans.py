"""Hypothesis strategies of event streams whose events act on each other."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pulse.devtools.testing.strategies import raw_events

#: Few ids, so that tickets get resolved, invoices paid and users seen again.
SHARED_IDS = {"ticket_id": "t", "invoice_id": "i", "user_id": "u", "feature": "f"}


def sharing_ids(raw: dict[str, Any], n: int) -> dict[str, Any]:
    data = {
        field: f"{SHARED_IDS[field]}{n}" if field in SHARED_IDS else value
        for field, value in raw["data"].items()
    }
    return {**raw, "data": data}


#: Types whose events act on each other (open and close items, change attributes).
ENTANGLED = (
    "support.ticket.opened",
    "support.ticket.resolved",
    "invoice.issued",
    "invoice.paid",
    "invoice.overdue",
    "account.updated",
    "contract.changed",
    "usage.activity",
)
any_event = st.one_of(raw_events(), st.sampled_from(ENTANGLED).flatmap(raw_events))
events = st.builds(sharing_ids, any_event, st.integers(0, 1))
