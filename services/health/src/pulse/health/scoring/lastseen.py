"""The last day each distinct value (a user, a feature) was seen, packed 8 bytes a value.

Each entry is `hash48 << 16 | day` in one sorted array: a distinct count over the window
ending today is the number of entries whose day falls in it. Keeping the maximum day makes
the result independent of arrival order. Above `limit` values the stalest are forgotten
(a 30-day count stays exact while fewer than `limit` values were seen in the kept days).
Seeing a value, counting and forgetting the stalest are binary searches (and moves of an
array's tail in C), however many values are kept.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left

from pulse.health.scoring.packing import HASH_BITS, pack_array, stable_hash, unpack_array

_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
_HASH_BITS = HASH_BITS
_HASH_MASK = (1 << _HASH_BITS) - 1
#: Most distinct values kept per field and account.
DEFAULT_LIMIT = 5_000
#: Values from which they are also kept in order of day (8 bytes a value more); fewer are
#: sorted by day when counted, in C, for about what a search in a larger set costs.
INDEX_FROM = 256
#: Values a prune forgets one by one; more are filtered out in one pass.
_FEW = 64
#: Where the two bytes of an entry's day (its low 16 bits) lie among its 8, in the order a
#: 16-bit number has them on this machine.
_DAY_BYTES = (0, 1) if sys.byteorder == "little" else (6, 7)

assert array("Q").itemsize == 8, "needs 64-bit C long longs"


class LastSeen:
    """Distinct values of one field with the last UTC day each was seen."""

    __slots__ = ("_by_day", "_entries", "dropped", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._entries: array[int] = array("Q")
        self.limit = limit
        # The entries by day, `day << 48 | hash48`, sorted: counts since a day and the
        # stalest entry are then a binary search away, however many values are kept. Built
        # when first asked of `INDEX_FROM` values or more (not stored, 8 bytes a value),
        # kept up to date after.
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
        by_day = self._index()
        stalest = by_day.pop(0)
        i = bisect_left(self._entries, (stalest & _HASH_MASK) << _DAY_BITS)
        del self._entries[i]
        self.dropped += 1

    def _index(self) -> array[int]:
        if self._by_day is None:
            self._by_day = array("Q", sorted(_by_day_keys(self._entries)))
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
        return self._seen_since(first)[0]

    def earliest_since(self, first: int) -> int | None:
        """The earliest last-seen day on or after `first`: when the count next drops."""
        return self._seen_since(first)[1]

    def _seen_since(self, first: int) -> tuple[int, int | None]:
        by_day = self._by_day
        if by_day is None and len(self._entries) >= INDEX_FROM:
            by_day = self._index()
        if by_day is not None:
            i = bisect_left(by_day, max(first, 0) << _HASH_BITS)
            return len(by_day) - i, by_day[i] >> _HASH_BITS if i < len(by_day) else None
        days = _sorted_days(self._entries)  # fewer than INDEX_FROM
        i = bisect_left(days, first)
        return len(days) - i, days[i] if i < len(days) else None

    def prune(self, first: int) -> bool:
        """Forget values last seen before day `first`; whether any was forgotten. Once a
        day; with the order by day, finding that none is due costs a search."""
        by_day = self._by_day
        if by_day is not None:
            cut = bisect_left(by_day, max(first, 0) << _HASH_BITS)
            self._by_day = by_day[cut:]
            if cut <= _FEW:
                for key in by_day[:cut]:
                    del self._entries[bisect_left(self._entries, _entry_of_key(key))]
                self._entries = self._entries[:]  # exact size: returns over-allocation
                return bool(cut)
        kept = array("Q", [e for e in self._entries if e & _DAY_MASK >= first])
        dropped = len(kept) < len(self._entries)
        self._entries = kept  # exact size: returns what inserts over-allocated
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
        if len(seen._entries) >= INDEX_FROM:
            seen._index()  # kept from here on, built while the state is decoded
        return seen


def _by_day_key(entry: int) -> int:
    """`day << 48 | hash48` of an entry `hash48 << 16 | day`."""
    return (entry & _DAY_MASK) << _HASH_BITS | entry >> _DAY_BITS


def _by_day_keys(entries: array[int]) -> array[int]:
    """`_by_day_key` of every entry: on a little-endian machine, each entry's 8 bytes
    turned by two (its day's bytes after its hash's), in C."""
    if sys.byteorder != "little":
        return array("Q", map(_by_day_key, entries))
    raw = entries.tobytes()
    turned = bytearray(len(raw))
    for byte in range(8):
        turned[byte::8] = raw[(byte + 2) % 8 :: 8]
    keys: array[int] = array("Q")
    keys.frombytes(turned)
    return keys


def _entry_of_key(key: int) -> int:
    """The entry `hash48 << 16 | day` of a by-day key `day << 48 | hash48`."""
    return (key & _HASH_MASK) << _DAY_BITS | key >> _HASH_BITS


def _insert(keys: array[int], key: int) -> None:
    keys.insert(bisect_left(keys, key), key)


def _remove(keys: array[int], key: int) -> None:
    del keys[bisect_left(keys, key)]


def _sorted_days(entries: array[int]) -> list[int]:
    """The days of the entries, ascending. Picked out of the entries' bytes and sorted in
    C: a loop over the entries in Python took ~30 µs for 300 values."""
    raw = entries.tobytes()
    days = bytearray(2 * len(entries))
    days[0::2] = raw[_DAY_BYTES[0] :: 8]
    days[1::2] = raw[_DAY_BYTES[1] :: 8]
    return sorted(array("H", days))
