"""`ContractEvent`: one `contract.changed` event, its money already in integer minor units.

`contract.changed` carries no currency: the edge gives the account's currency (from
`account.updated`) when it decodes the event, and the amount is rounded to the minor unit
there, once. `arr_before` is not kept: the timeline knows what was in force before each
change, even when changes arrive late, and a source's `arr_before` reflects its own order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pulse.common.events.data import ContractChangedData
from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.renewals.money.amounts import Amount


@dataclass(frozen=True, slots=True)
class ContractEvent:
    """A contract change of one account: the ARR in force from `effective_at` on."""

    event_id: str
    effective_at: datetime
    change: ContractChange
    arr_after: Amount
    reason_category: ContractReasonCategory | None = None

    def __post_init__(self) -> None:
        if not self.event_id:
            raise ValueError("a contract change needs an event id")
        if self.effective_at.tzinfo is None:
            raise ValueError(f"effective_at of {self.event_id} must carry a time zone")
        if self.arr_after.minor < 0:
            raise ValueError(f"arr_after of {self.event_id} must not be negative")

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Effective time, then id: one order for the same events, however they arrived."""
        return (self.effective_at, self.event_id)


def contract_event(event_id: str, data: ContractChangedData, currency: str) -> ContractEvent:
    """The core's record of a validated `contract.changed` of an account in `currency`."""
    return ContractEvent(
        event_id=event_id,
        effective_at=data.effective_at,
        change=data.change,
        arr_after=Amount.of(data.arr_after, currency),
        reason_category=data.reason_category,
    )
