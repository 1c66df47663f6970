"""`AccountFacts`: what `account.updated` events said of an account, field by field.

Each update carries only the fields that changed. The current value of a field is the one
from the newest update (by occurred_at, then id) that carried it, so late and replayed
updates give the same facts as the same updates in order.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pulse.common.events.data import AccountUpdatedData
from pulse.renewals.contracts.attributes import AttributeHistory, attribute_update


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """One `account.updated`: its id, its time and what it set."""

    event_id: str
    occurred_at: datetime
    data: AccountUpdatedData

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Event time, then id: one order for the same updates however they arrived."""
        return (self.occurred_at, self.event_id)


class AccountFacts:
    """The updates of one account; the newest value of each field and the grouping
    attributes over time."""

    def __init__(self) -> None:
        self._updates: dict[str, AccountUpdate] = {}
        self._keys: list[tuple[datetime, str]] = []
        self.attributes = AttributeHistory()

    def apply(self, update: AccountUpdate) -> bool:
        """Take an update at its time; False (nothing changed) for a known id."""
        if update.event_id in self._updates:
            return False
        self._updates[update.event_id] = update
        insort(self._keys, update.order_key)
        self.attributes.apply(attribute_update(update.event_id, update.occurred_at, update.data))
        return True

    def latest(self, name: str) -> Any:
        """The newest value set for field `name`, None if no update set it."""
        for _, event_id in reversed(self._keys):
            value = getattr(self._updates[event_id].data, name)
            if value is not None:
                return value
        return None

    @property
    def name(self) -> str | None:
        """The account's display name."""
        value: str | None = self.latest("name")
        return value

    @property
    def currency(self) -> str | None:
        """The account's currency, which its contract changes are in."""
        value: str | None = self.latest("currency")
        return value

    @property
    def renewal_date(self) -> date | None:
        """The renewal date the newest update that set one gave."""
        value: date | None = self.latest("renewal_date")
        return value

    @property
    def arr(self) -> Decimal | None:
        """ARR as `account.updated` last gave it (used while no contract change is known)."""
        value: Decimal | None = self.latest("arr")
        return value

    @property
    def updates(self) -> list[AccountUpdate]:
        """Every update, oldest first."""
        return [self._updates[event_id] for _, event_id in self._keys]
