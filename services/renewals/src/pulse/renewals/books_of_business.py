"""Books of business: each CSM's accounts, ARR, ARR at risk, renewals coming up, accounts
per segment and band, and whether the book is over the segment's capacity guideline.
Pure: accounts already converted to the reporting currency in, books out.

A book is over capacity in a segment when it holds more of the segment's accounts than
the guideline's upper bound (high touch 5-15 accounts per CSM, low touch 20-50 by
default); a pooled segment (tech touch) has no bound. Accounts without an owner are in
no book.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pulse.renewals.config import Capacity
from pulse.renewals.forecast.config import ForecastCategory


@dataclass(frozen=True, slots=True)
class HeldAccount:
    """An account in a book; `category` set when it renews within the window."""

    account_id: str
    owner: str | None
    name: str | None
    segment: str | None
    band: str
    arr: int
    renewal_date: date | None
    category: ForecastCategory | None


@dataclass(frozen=True, slots=True)
class OwnerBook:
    """One CSM's accounts and the figures that follow from them."""

    owner: str
    accounts: tuple[HeldAccount, ...]
    capacity: Mapping[str, Capacity | None]

    @property
    def arr(self) -> int:
        """ARR of the book, in reporting minor units."""
        return sum(a.arr for a in self.accounts)

    @property
    def arr_at_risk(self) -> int:
        """ARR of the accounts renewing within the window forecast at risk."""
        return sum(a.arr for a in self.accounts if a.category is ForecastCategory.AT_RISK)

    @property
    def renewals(self) -> int:
        """Accounts renewing within the window."""
        return sum(a.category is not None for a in self.accounts)

    @property
    def by_segment(self) -> dict[str | None, int]:
        """Accounts per segment."""
        return dict(Counter(a.segment for a in self.accounts))

    @property
    def by_band(self) -> dict[str, int]:
        """Accounts per health band."""
        return dict(Counter(a.band for a in self.accounts))

    @property
    def over_capacity(self) -> list[str]:
        """Segments where the book holds more accounts than the guideline's upper bound."""
        over = []
        for segment, count in self.by_segment.items():
            bound = self.capacity.get(segment) if segment is not None else None
            if bound is not None and count > bound.high:
                over.append(segment)
        return sorted(s for s in over if s is not None)


def owner_books(
    accounts: Iterable[HeldAccount], capacity: Mapping[str, Capacity | None]
) -> dict[str, OwnerBook]:
    """The book of each owner, by owner."""
    held: dict[str, list[HeldAccount]] = {}
    for account in accounts:
        if account.owner is not None:
            held.setdefault(account.owner, []).append(account)
    return {
        owner: OwnerBook(owner, tuple(sorted(items, key=lambda a: a.account_id)), capacity)
        for owner, items in sorted(held.items())
    }
