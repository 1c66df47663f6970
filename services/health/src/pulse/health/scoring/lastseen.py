"""The last day each distinct value (a user, a feature) was seen, packed 8 bytes a value.

Each entry is `hash48 << 16 | day` in one sorted array: a distinct count over the window
ending today is the number of entries whose day falls in it. Keeping the maximum day makes
the result independent of arrival order. Above `limit` values the stalest are forgotten
(a 30-day count stays exact while fewer than `limit` values were seen in the kept days).
Seeing a value, counting and forgetting the stalest are binary searches (and moves of an
array's tail in C), however many values are kept.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

from pulse.health.scoring.packing import HASH_BITS, pack_array, stable_hash, unpack_array

_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
_HASH_BITS = HASH_BITS
_HASH_MASK = (1 << _HASH_BITS) - 1
#: Most distinct values kept per field and account.
DEFAULT_LIMIT = 5_000

assert array("Q").itemsize == 8, "needs 64-bit C long longs"


class LastSeen:
    """Distinct values of one field with the last UTC day each was seen."""

    __slots__ = ("_by_day", "_entries", "dropped", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._entries: array[int] = array("Q")
        self.limit = limit
        # The entries by day, `day << 48 | hash48`, sorted: counts since a day and the
        # stalest entry are then a binary search away, however many values are kept. Built
        # when first asked (not stored, 8 bytes a value), kept up to date after.
        self._by_day: array[int] | None = None
        #: Values forgotten at the limit since the owner last looked (and reset it).
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def see(self, value: str, day: int) -> bool:
        """Record `value` seen on `day`; whether its last day moved."""
        return self.see_hash(stable_hash(value), day)

    def see_hash(self, hashed: int, day: int) -> bool:
        """`see` for an already hashed value."""
        entry = hashed << _DAY_BITS | day
        i = bisect_left(self._entries, hashed << _DAY_BITS)
        by_day = self._by_day
        if i < len(self._entries) and self._entries[i] >> _DAY_BITS == hashed:
            if self._entries[i] & _DAY_MASK >= day:
                return False
            if by_day is not None:
                _remove(by_day, _by_day_key(self._entries[i]))
            self._entries[i] = entry
        else:
            self._entries.insert(i, entry)
        if by_day is not None:
            _insert(by_day, _by_day_key(entry))
        if len(self._entries) > self.limit:
            self._forget_stalest()
        return True

    def _forget_stalest(self) -> None:
        """The value seen longest ago goes (of a tie, the lowest hash)."""
        by_day = self._days()
        stalest = by_day.pop(0)
        i = bisect_left(self._entries, (stalest & _HASH_MASK) << _DAY_BITS)
        del self._entries[i]
        self.dropped += 1

    def _days(self) -> array[int]:
        if self._by_day is None:
            self._by_day = array("Q", sorted(map(_by_day_key, self._entries)))
        return self._by_day

    def day_of(self, value: str) -> int | None:
        """The last day `value` was seen, if it is kept."""
        hashed = stable_hash(value)
        i = bisect_left(self._entries, hashed << _DAY_BITS)
        if i < len(self._entries) and self._entries[i] >> _DAY_BITS == hashed:
            return self._entries[i] & _DAY_MASK
        return None

    def count_since(self, first: int) -> int:
        """How many values were last seen on day `first` or later."""
        by_day = self._days()
        return len(by_day) - bisect_left(by_day, max(first, 0) << _HASH_BITS)

    def earliest_since(self, first: int) -> int | None:
        """The earliest last-seen day on or after `first`: when the count next drops."""
        by_day = self._days()
        i = bisect_left(by_day, max(first, 0) << _HASH_BITS)
        return by_day[i] >> _HASH_BITS if i < len(by_day) else None

    def prune(self, first: int) -> bool:
        """Forget values last seen before day `first`; whether any was forgotten."""
        kept = array("Q", [e for e in self._entries if e & _DAY_MASK >= first])
        dropped = len(kept) < len(self._entries)
        self._entries = kept  # exact size: returns what inserts over-allocated
        if self._by_day is not None:
            self._by_day = self._by_day[bisect_left(self._by_day, max(first, 0) << _HASH_BITS) :]
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


def _by_day_key(entry: int) -> int:
    """`day << 48 | hash48` of an entry `hash48 << 16 | day`."""
    return (entry & _DAY_MASK) << _HASH_BITS | entry >> _DAY_BITS


def _insert(keys: array[int], key: int) -> None:
    keys.insert(bisect_left(keys, key), key)


def _remove(keys: array[int], key: int) -> None:
    del keys[bisect_left(keys, key)]
