"""`AttributeHistory`: the values `account.updated` gave an account's attributes over time.

Updates are kept in (occurred_at, event_id) order, so a late one inserts into the past and
a replayed id changes nothing. An absent field leaves the value as it was. The value `at`
a moment is the one set by the newest update before it, the same edge as ARR (see
`timeline`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pulse.common.events.data import AccountUpdatedData


class Attribute(StrEnum):
    """The attributes retention figures can be grouped by."""

    SEGMENT = "segment"
    INDUSTRY = "industry"
    PLAN = "plan"
    OWNER = "owner"


@dataclass(frozen=True, slots=True)
class AttributeUpdate:
    """The attributes one `account.updated` set (only those it carried)."""

    event_id: str
    occurred_at: datetime
    values: Mapping[Attribute, str] = field(default_factory=dict)


def attribute_update(
    event_id: str, occurred_at: datetime, data: AccountUpdatedData
) -> AttributeUpdate:
    """The grouping attributes a validated `account.updated` carried."""
    values = {
        attribute: str(value)
        for attribute in Attribute
        if (value := getattr(data, attribute.value)) is not None
    }
    return AttributeUpdate(event_id, occurred_at, values)


class AttributeHistory:
    """The grouping attributes of one account, as they were at any moment."""

    def __init__(self) -> None:
        self._updates: dict[str, AttributeUpdate] = {}
        self._keys: list[tuple[datetime, str]] = []

    def apply(self, update: AttributeUpdate) -> bool:
        """Insert an update at its time; False (nothing changed) for a known id."""
        if update.event_id in self._updates:
            return False
        self._updates[update.event_id] = update
        insort(self._keys, (update.occurred_at, update.event_id))
        return True

    def value_at(self, attribute: Attribute, moment: datetime) -> str | None:
        """The value set by the newest update before `moment` that carried it."""
        index = bisect_left(self._keys, (moment, ""))
        for _, event_id in reversed(self._keys[:index]):
            value = self._updates[event_id].values.get(attribute)
            if value is not None:
                return value
        return None

    def first_value_between(
        self, attribute: Attribute, start: datetime, end: datetime
    ) -> str | None:
        """The first value an update in [start, end) set, for an account that had none."""
        low = bisect_left(self._keys, (start, ""))
        high = bisect_left(self._keys, (end, ""))
        for _, event_id in self._keys[low:high]:
            value = self._updates[event_id].values.get(attribute)
            if value is not None:
                return value
        return None
