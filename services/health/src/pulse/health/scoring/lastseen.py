"""The last day each distinct value (a user, a feature) was seen, packed 8 bytes a value.

Each entry is `hash48 << 16 | day` in one sorted array: a distinct count over the window
ending today is the number of entries whose day falls in it. Keeping the maximum day makes
the result independent of arrival order. Above `limit` values the stalest are forgotten
(a 30-day count stays exact while fewer than `limit` values were seen in the kept days).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left

from pulse.health.scoring.packing import pack_array, stable_hash, unpack_array

_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
#: Most distinct values kept per field and account.
DEFAULT_LIMIT = 5_000

assert array("Q").itemsize == 8, "needs 64-bit C long longs"
#: Where the two bytes of an entry's day (its low 16 bits) lie among its 8, in the order a
#: 16-bit number has them on this machine.
_DAY_BYTES = (0, 1) if sys.byteorder == "little" else (6, 7)


class LastSeen:
    """Distinct values of one field with the last UTC day each was seen."""

    __slots__ = ("_entries", "_since", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._entries: array[int] = array("Q")
        self.limit = limit
        # (first, count_since(first), earliest_since(first)) until the entries change: a
        # re-score asks both, for one or two measures.
        self._since: tuple[int, int, int | None] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def see(self, value: str, day: int) -> bool:
        """Record `value` seen on `day`; whether its last day moved."""
        return self.see_hash(stable_hash(value), day)

    def see_hash(self, hashed: int, day: int) -> bool:
        """`see` for an already hashed value."""
        entry = hashed << _DAY_BITS | day
        i = bisect_left(self._entries, hashed << _DAY_BITS)
        if i < len(self._entries) and self._entries[i] >> _DAY_BITS == hashed:
            if self._entries[i] & _DAY_MASK >= day:
                return False
            self._entries[i] = entry
            self._since = None
            return True
        self._entries.insert(i, entry)
        self._since = None
        if len(self._entries) > self.limit:
            self._forget_stalest()
        return True

    def _forget_stalest(self) -> None:
        stalest = min(range(len(self._entries)), key=lambda i: self._entries[i] & _DAY_MASK)
        del self._entries[stalest]
        self._since = None

    def day_of(self, value: str) -> int | None:
        """The last day `value` was seen, if it is kept."""
        hashed = stable_hash(value)
        i = bisect_left(self._entries, hashed << _DAY_BITS)
        if i < len(self._entries) and self._entries[i] >> _DAY_BITS == hashed:
            return self._entries[i] & _DAY_MASK
        return None

    def count_since(self, first: int) -> int:
        """How many values were last seen on day `first` or later."""
        return self._seen_since(first)[1]

    def earliest_since(self, first: int) -> int | None:
        """The earliest last-seen day on or after `first`: when the count next drops."""
        return self._seen_since(first)[2]

    def _seen_since(self, first: int) -> tuple[int, int, int | None]:
        since = self._since
        if since is None or since[0] != first:
            days = _sorted_days(self._entries)
            i = bisect_left(days, first)
            since = self._since = (first, len(days) - i, days[i] if i < len(days) else None)
        return since

    def prune(self, first: int) -> bool:
        """Forget values last seen before day `first`; whether any was forgotten."""
        kept = array("Q", [e for e in self._entries if e & _DAY_MASK >= first])
        dropped = len(kept) < len(self._entries)
        self._entries = kept  # exact size: returns what inserts over-allocated
        self._since = None
        return dropped

    def to_text(self) -> str:
        """The entries as base64 (see `pack_array`)."""
        return pack_array(self._entries)

    @classmethod
    def from_text(cls, text: str, limit: int = DEFAULT_LIMIT) -> LastSeen:
        """Rebuild from `to_text`."""
        seen = cls(limit)
        seen._entries = unpack_array("Q", text)
        if any(a >= b for a, b in zip(seen._entries, seen._entries[1:], strict=False)):
            raise ValueError("last-seen entries are not sorted")
        return seen


def _sorted_days(entries: array[int]) -> list[int]:
    """The days of the entries, ascending. Picked out of the entries' bytes and sorted in
    C: a loop over the entries in Python took ~30 µs for 300 values, at every re-score."""
    raw = entries.tobytes()
    days = bytearray(2 * len(entries))
    days[0::2] = raw[_DAY_BYTES[0] :: 8]
    days[1::2] = raw[_DAY_BYTES[1] :: 8]
    return sorted(array("H", days))
