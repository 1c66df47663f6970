"""Items an account opens and closes by id: support tickets and invoices.

An item is open when its latest opening (ticket opened, invoice issued or overdue) is later
than its latest closing (ticket resolved, invoice paid); a tie counts as closed. Both
times only ever grow, so the outcome does not depend on the order events arrive in. Closed
items are kept for the grace period, so a late opening event older than the closing cannot
reopen them; open items are kept until closed (at most `limit`, the stalest dropped first).

Every change costs O(log n) comparisons plus a move of the arrays' tails in C: a ledger
holding thousands of items (a support desk that never sends resolutions) costs an event
no more Python work than an empty one. What scoring reads of the open items is kept up to
date by the ledger's `OpenTally` (see `open_tallies`); only a ledger of fewer than
`TALLY_FROM` items makes it when asked, by a walk over those few.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple, Protocol

from pulse.health.scoring.packing import HASH_BITS, stable_hash

_WIDTH = 3  # words per item besides its id hash: opened << 32 | closed, tag << 16 | due, amount
_TIME_BITS = 32
_TIME_MASK = (1 << _TIME_BITS) - 1
_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
_HASH_BITS = HASH_BITS
_HASH_MASK = (1 << _HASH_BITS) - 1
_FLOAT = struct.Struct("<d")
_WORD = struct.Struct("<Q")
#: Most items kept per ledger and account.
DEFAULT_LIMIT = 2_000
#: Items from which a ledger keeps its tally up to date rather than making it when asked.
TALLY_FROM = 32


class Item(NamedTuple):
    """One ticket or invoice as the ledger keeps it."""

    opened: int = 0  # latest opening time (s); 0: never seen opened
    closed: int = 0  # latest closing time (s); 0: never closed
    tag: int = 0  # ledger-specific code: ticket priority/channel, invoice currency
    due_day: int = 0  # invoices: the UTC day payment is due; 0: unknown
    amount: float = 0.0  # invoices: the amount due

    @property
    def is_open(self) -> bool:
        """Opened after it was last closed."""
        return self.opened > self.closed


class OpenTally(Protocol):
    """What scoring reads of a ledger's open items, told of each one that opens, changes
    (removed as it was, added as it is) or closes."""

    def add(self, hashed: int, item: Item) -> None:
        """`item` is open now."""

    def remove(self, hashed: int, item: Item) -> None:
        """`item` (as it was added) is no longer open, or changes."""


def _words(item: Item) -> tuple[int, int, int]:
    amount_bits = _WORD.unpack(_FLOAT.pack(item.amount))[0]
    times = item.opened << _TIME_BITS | item.closed
    return times, item.tag << _DAY_BITS | item.due_day, amount_bits


class ItemLedger:
    """Items by 48-bit id hash: the hashes in one sorted array, 24 bytes each beside them."""

    __slots__ = ("_ids", "_new_tally", "_order", "_rows", "_tally", "dropped", "limit")

    def __init__(
        self, limit: int = DEFAULT_LIMIT, tally: Callable[[], OpenTally] | None = None
    ) -> None:
        self._ids: array[int] = array("Q")
        self._rows: array[int] = array("Q")
        self._new_tally = tally
        # Kept up to date from `TALLY_FROM` items on (see `tally`).
        self._tally: OpenTally | None = None
        # Items by staleness, from when the ledger first reaches its limit (or loads full).
        self._order: _Staleness | None = None
        self.limit = limit
        #: Items dropped at the limit since the owner last looked (and reset it).
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._ids)

    def tally(self) -> OpenTally:
        """What scoring reads of the open items. Kept up to date once the ledger has held
        `TALLY_FROM` items; a smaller ledger (most) makes a new one when asked, walking at
        most that many items, and spares the memory."""
        if self._tally is not None:
            return self._tally
        assert self._new_tally is not None, "a ledger scoring reads has a tally"
        tally = self._new_tally()
        for i, hashed in enumerate(self._ids):
            item = self._item(i)
            if item.is_open:
                tally.add(hashed, item)
        if len(self._ids) >= TALLY_FROM:
            self._tally = tally
        return tally

    def _find(self, hashed: int) -> tuple[int, bool]:
        """(position, found) of an id hash."""
        ids = self._ids
        i = bisect_left(ids, hashed)
        return i, i < len(ids) and ids[i] == hashed

    def get(self, hashed: int) -> Item | None:
        """The item with this id hash, if kept."""
        i, found = self._find(hashed)
        return self._item(i) if found else None

    def _item(self, i: int) -> Item:
        times, tags, amount_bits = self._rows[i * _WIDTH : (i + 1) * _WIDTH]
        amount: float = _FLOAT.unpack(_WORD.pack(amount_bits))[0]
        return Item(
            times >> _TIME_BITS, times & _TIME_MASK, tags >> _DAY_BITS, tags & _DAY_MASK, amount
        )

    def put(self, hashed: int, item: Item) -> bool:
        """Store `item` under its id hash; whether anything changed."""
        words = array("Q", _words(item))
        i, found = self._find(hashed)
        row = slice(i * _WIDTH, (i + 1) * _WIDTH)
        if found:
            if self._rows[row] == words:
                return False
            self._forget(hashed, self._item(i))
            self._rows[row] = words
            self._remember(hashed, item)
            return True
        self._ids.insert(i, hashed)
        self._rows[i * _WIDTH : i * _WIDTH] = words
        self._remember(hashed, item)
        if len(self._ids) > self.limit:
            self._drop_stalest()
        return True

    def _remember(self, hashed: int, item: Item) -> None:
        if self._tally is not None and item.is_open:
            self._tally.add(hashed, item)
        if self._order is not None:
            self._order.add(hashed, item)

    def _forget(self, hashed: int, item: Item) -> None:
        if self._tally is not None and item.is_open:
            self._tally.remove(hashed, item)
        if self._order is not None:
            self._order.remove(hashed, item)

    def open_ticket(self, ticket_id: str, second: int, tag: int) -> None:
        """A ticket (re)opened at `second` with its priority and channel: the latest opening
        wins (on a tie, the larger tag), whatever the order events arrive in."""
        hashed = stable_hash(ticket_id)
        item = self.get(hashed) or Item()
        opened, tag = max((item.opened, item.tag), (second, tag))
        self.put(hashed, item._replace(opened=opened, tag=tag))

    def open_invoice(self, invoice_id: str, opening: Item) -> None:
        """Merge what an issue or overdue notice says, the same in any order: the latest
        opening, any currency named, the earliest due day, the largest amount."""
        hashed = stable_hash(invoice_id)
        item = self.get(hashed) or Item()
        due_days = [d for d in (item.due_day, opening.due_day) if d]
        merged = Item(
            max(item.opened, opening.opened), item.closed, max(item.tag, opening.tag),
            min(due_days) if due_days else 0, max(item.amount, opening.amount),
        )  # fmt: skip
        self.put(hashed, merged)

    def close(self, item_id: str, second: int) -> None:
        """The item was resolved or paid at `second` (the latest closing counts)."""
        hashed = stable_hash(item_id)
        item = self.get(hashed) or Item()
        self.put(hashed, item._replace(closed=max(item.closed, second)))

    def items(self) -> Iterator[Item]:
        """Every kept item (a walk: for storage and tests, not for scoring)."""
        return (self._item(i) for i in range(len(self)))

    def open_items(self) -> Iterator[Item]:
        """The items open now (a walk: for storage and tests, not for scoring)."""
        return (item for item in self.items() if item.is_open)

    def prune(self, closed_before: int) -> bool:
        """Forget closed items whose closing is before `closed_before` (s). Once a day; a
        full ledger finds them first in its drop order, a smaller one walks its items."""
        if self._order is not None:
            gone = self._order.forget_closed_before(closed_before)
            stale = sorted(self._find(hashed)[0] for hashed in gone)
        else:
            times = self._rows[0::_WIDTH]
            stale = [
                i
                for i, t in enumerate(times)
                if (t & _TIME_MASK) >= (t >> _TIME_BITS) and (t & _TIME_MASK) < closed_before
            ]
        for i in reversed(stale):
            self._drop(i)  # closed: the tally never held them
        # exact size: returns what inserts over-allocated
        self._ids, self._rows = self._ids[:], self._rows[:]
        return bool(stale)

    def _drop_stalest(self) -> None:
        """Closed items first, then the longest untouched (the lowest id hash of a tie)."""
        if self._order is None:
            self._order = _Staleness(self._ids, self._rows[0::_WIDTH])
        hashed = self._order.first()
        i, _ = self._find(hashed)
        self._forget(hashed, self._item(i))
        self._drop(i)
        self.dropped += 1

    def _drop(self, i: int) -> None:
        del self._ids[i]
        del self._rows[i * _WIDTH : (i + 1) * _WIDTH]

    def to_list(self) -> list[list[float]]:
        """`[[id hash, opened, closed, tag, due_day, amount], ...]`."""
        amounts = array("d", self._rows[2::_WIDTH].tobytes())
        return [
            [hashed, t >> _TIME_BITS, t & _TIME_MASK, g >> _DAY_BITS, g & _DAY_MASK, amount]
            for hashed, t, g, amount in zip(
                self._ids, self._rows[0::_WIDTH], self._rows[1::_WIDTH], amounts, strict=True
            )
        ]

    @classmethod
    def from_list(
        cls,
        rows: list[list[float]],
        limit: int = DEFAULT_LIMIT,
        tally: Callable[[], OpenTally] | None = None,
    ) -> ItemLedger:
        """Rebuild from `to_list`."""
        ledger = cls(limit, tally)
        ids = [int(row[0]) for row in rows]
        if len(ids) > limit or any(a >= b for a, b in pairwise(ids)):
            for hashed, opened, closed, tag, due_day, amount in rows:
                item = Item(int(opened), int(closed), int(tag), int(due_day), float(amount))
                ledger.put(int(hashed), item)
            ledger.dropped = 0  # stored with a larger limit: no event's doing
            return ledger
        # As stored: sorted by id hash, within the limit. Built column by column.
        ledger._ids = array("Q", ids)
        amounts = array("d", [float(row[5]) for row in rows])
        rows_words = ledger._rows = array("Q", bytes(24 * len(ids)))
        rows_words[0::_WIDTH] = array(
            "Q", [int(row[1]) << _TIME_BITS | int(row[2]) for row in rows]
        )
        rows_words[1::_WIDTH] = array("Q", [int(row[3]) << _DAY_BITS | int(row[4]) for row in rows])
        rows_words[2::_WIDTH] = array("Q", amounts.tobytes())
        if len(ids) == limit:  # full: the next new item drops the stalest
            ledger._order = _Staleness(ledger._ids, rows_words[0::_WIDTH])
        if tally is not None and len(ids) >= TALLY_FROM:
            ledger.tally()  # kept from here on, built while the state is decoded
        return ledger


class _Staleness:
    """Items in the order the limit drops them: closed before open, then by the latest of
    their times, then by id hash. Two sorted arrays (a key and the hash, compared as
    pairs): 16 bytes an item, built only once the ledger reaches its limit."""

    __slots__ = ("_ids", "_keys")

    def __init__(self, ids: array[int], times: array[int]) -> None:
        """The order of items by id hash and `opened << 32 | closed`."""
        # Sorted as one int per item (key << 48 | hash): ints compare in C, tuples do not.
        packed = sorted(
            (
                ((t >> _TIME_BITS) > (t & _TIME_MASK)) << _TIME_BITS
                | max(t >> _TIME_BITS, t & _TIME_MASK)
            )
            << _HASH_BITS
            | hashed
            for t, hashed in zip(times, ids, strict=True)
        )
        self._keys: array[int] = array("Q", [p >> _HASH_BITS for p in packed])
        self._ids: array[int] = array("Q", [p & _HASH_MASK for p in packed])

    def _position(self, key: int, hashed: int) -> int:
        keys, ids = self._keys, self._ids
        return bisect_left(range(len(keys)), (key, hashed), key=lambda i: (keys[i], ids[i]))

    def add(self, hashed: int, item: Item) -> None:
        i = self._position(_staleness(item), hashed)
        self._keys.insert(i, _staleness(item))
        self._ids.insert(i, hashed)

    def remove(self, hashed: int, item: Item) -> None:
        i = self._position(_staleness(item), hashed)
        del self._keys[i]
        del self._ids[i]

    def first(self) -> int:
        """The id hash of the stalest item."""
        return self._ids[0]

    def forget_closed_before(self, second: int) -> array[int]:
        """Drop the items a prune drops, closed (they come first) before `second`; their
        id hashes."""
        cut = bisect_left(self._keys, second)
        gone = self._ids[:cut]
        del self._keys[:cut]
        del self._ids[:cut]
        return gone


def _staleness(item: Item) -> int:
    """Open items after closed ones, then by the latest of the item's times."""
    return int(item.is_open) << _TIME_BITS | max(item.opened, item.closed)


def currency_code(currency: str) -> int:
    """A 3-letter currency as 15 bits (5 per letter), stable whatever the code list."""
    code = 0
    for letter in currency.upper()[:3]:
        code = code << 5 | (ord(letter) - 64) & 0x1F
    return code


@lru_cache(maxsize=1024)
def currency_of_code(code: int) -> str | None:
    """The currency `currency_code` packed, None for 0."""
    if not code:
        return None
    return "".join(chr(64 + (code >> shift & 0x1F)) for shift in (10, 5, 0))
