"""Account attributes (from `account.updated` and `contract.changed`), newest value per field.

Each field remembers the event time of its value, so an older update arriving late does not
overwrite a newer one, field by field (an update that names only `owner` leaves the rest).
On equal times the later arrival wins.
"""

from __future__ import annotations

import sys
from array import array
from datetime import date
from typing import Any

#: Fields in the order of their timestamps; append only (stored state depends on it).
FIELDS = (
    "name",
    "segment",
    "arr",
    "currency",
    "owner",
    "licensed_seats",
    "renewal_date",
    "industry",
    "plan",
)
_INTERNED = frozenset({"segment", "currency"})  # few distinct values: share the strings


class AccountAttributes:
    """The latest known value of each account attribute and when it was set (s)."""

    __slots__ = (*FIELDS, "_set_at")

    name: str | None
    segment: str | None
    arr: float | None
    currency: str | None
    owner: str | None
    licensed_seats: int | None
    renewal_date: date | None
    industry: str | None
    plan: str | None

    def __init__(self) -> None:
        for field in FIELDS:
            setattr(self, field, None)
        self._set_at: array[int] = array("I", bytes(4 * len(FIELDS)))

    def update(self, values: dict[str, Any], second: int) -> bool:
        """Set each field of `values` unless a newer value is kept; whether any changed."""
        changed = False
        for field, value in values.items():
            position = FIELDS.index(field)
            if second < self._set_at[position]:
                continue
            if isinstance(value, str) and field in _INTERNED:
                value = sys.intern(value)
            changed = changed or getattr(self, field) != value
            setattr(self, field, value)
            self._set_at[position] = second
        return changed

    def to_dict(self) -> dict[str, list[Any]]:
        """`{field: [value, set at (s)]}` of the fields known."""
        out: dict[str, list[Any]] = {}
        for position, field in enumerate(FIELDS):
            value = getattr(self, field)
            if value is not None:
                out[field] = [value.isoformat() if isinstance(value, date) else value]
                out[field].append(self._set_at[position])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, list[Any]]) -> AccountAttributes:
        """Rebuild from `to_dict`."""
        attributes = cls()
        for field, (value, second) in data.items():
            if field == "renewal_date":
                value = date.fromisoformat(value)
            elif field == "arr":
                value = float(value)
            attributes.update({field: value}, int(second))
        return attributes
