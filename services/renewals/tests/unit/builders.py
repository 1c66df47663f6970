"""Builders of the renewals unit tests: moments, contract changes and timelines."""

from __future__ import annotations

from datetime import UTC, datetime

from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.renewals.contracts.attributes import Attribute, AttributeHistory, AttributeUpdate
from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.contracts.timeline import ContractTimeline
from pulse.renewals.money.amounts import Amount
from pulse.renewals.retention.report import AccountHistory


def day(year: int, month: int, dom: int) -> datetime:
    """00:00 UTC of a day."""
    return datetime(year, month, dom, tzinfo=UTC)


def change(
    event_id: str,
    at: datetime,
    arr_minor: int,
    *,
    currency: str = "EUR",
    kind: ContractChange = ContractChange.RENEWAL,
    reason: ContractReasonCategory | None = None,
) -> ContractEvent:
    """A contract change leaving `arr_minor` in force from `at` on."""
    return ContractEvent(event_id, at, kind, Amount(arr_minor, currency), reason)


def timeline_of(*events: ContractEvent) -> ContractTimeline:
    """A timeline with `events` applied in the order given."""
    timeline = ContractTimeline()
    for event in events:
        timeline.apply(event)
    return timeline


def account(account_id: str, *events: ContractEvent, **attributes_at_start: str) -> AccountHistory:
    """An account with contract `events` and attributes set on 2000-01-01."""
    history = AttributeHistory()
    values = {Attribute(name): value for name, value in attributes_at_start.items()}
    history.apply(AttributeUpdate(f"{account_id}-attrs", day(2000, 1, 1), values))
    return AccountHistory(account_id, timeline_of(*events), history)
