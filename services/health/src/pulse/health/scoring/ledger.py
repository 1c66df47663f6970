"""Items an account opens and closes by id: support tickets and invoices.

An item is open when its latest opening (ticket opened, invoice issued or overdue) is later
than its latest closing (ticket resolved, invoice paid); a tie counts as closed. Both
times only ever grow, so the outcome does not depend on the order events arrive in. Closed
items are kept for the grace period, so a late opening event older than the closing cannot
reopen them; open items are kept until closed (at most `limit`, the stalest dropped first).
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from typing import NamedTuple

from pulse.health.scoring.packing import stable_hash

_WIDTH = 4  # words per item: id hash, opened << 32 | closed, tag << 16 | due day, amount
_TIME_BITS = 32
_TIME_MASK = (1 << _TIME_BITS) - 1
_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
_FLOAT = struct.Struct("<d")
_WORD = struct.Struct("<Q")
#: Most items kept per ledger and account.
DEFAULT_LIMIT = 2_000


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


def _words(hashed: int, item: Item) -> tuple[int, int, int, int]:
    amount_bits = _WORD.unpack(_FLOAT.pack(item.amount))[0]
    return (
        hashed,
        item.opened << _TIME_BITS | item.closed,
        item.tag << _DAY_BITS | item.due_day,
        amount_bits,
    )


class ItemLedger:
    """Items by 48-bit id hash, 32 bytes each in one array sorted by hash."""

    __slots__ = ("_rows", "limit")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._rows: array[int] = array("Q")
        self.limit = limit

    def __len__(self) -> int:
        return len(self._rows) // _WIDTH

    def _find(self, hashed: int) -> tuple[int, bool]:
        """(position, found) of an id hash."""
        ids = self._rows[::_WIDTH]
        i = bisect_left(ids, hashed)
        return i, i < len(ids) and ids[i] == hashed

    def get(self, hashed: int) -> Item | None:
        """The item with this id hash, if kept."""
        i, found = self._find(hashed)
        return self._item(i) if found else None

    def _item(self, i: int) -> Item:
        _, times, tags, amount_bits = self._rows[i * _WIDTH : (i + 1) * _WIDTH]
        amount: float = _FLOAT.unpack(_WORD.pack(amount_bits))[0]
        return Item(
            times >> _TIME_BITS, times & _TIME_MASK, tags >> _DAY_BITS, tags & _DAY_MASK, amount
        )

    def put(self, hashed: int, item: Item) -> bool:
        """Store `item` under its id hash; whether anything changed."""
        words = array("Q", _words(hashed, item))
        i, found = self._find(hashed)
        row = slice(i * _WIDTH, (i + 1) * _WIDTH)
        if found:
            if self._rows[row] == words:
                return False
            self._rows[row] = words
            return True
        self._rows[i * _WIDTH : i * _WIDTH] = words
        if len(self) > self.limit:
            self._drop(self._stalest())
        return True

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
        """Every kept item."""
        return (self._item(i) for i in range(len(self)))

    def open_items(self) -> Iterator[Item]:
        """The items open now."""
        return (item for item in self.items() if item.is_open)

    def prune(self, closed_before: int) -> bool:
        """Forget closed items whose closing is before `closed_before` (s)."""
        stale = [
            i
            for i, item in enumerate(self.items())
            if not item.is_open and item.closed < closed_before
        ]
        for i in reversed(stale):
            self._drop(i)
        self._rows = array("Q", self._rows)  # exact size: returns what inserts over-allocated
        return bool(stale)

    def _stalest(self) -> int:
        """Closed items first, then the longest untouched."""
        return min(range(len(self)), key=lambda i: _staleness(self._item(i)))

    def _drop(self, i: int) -> None:
        del self._rows[i * _WIDTH : (i + 1) * _WIDTH]

    def to_list(self) -> list[list[float]]:
        """`[[id hash, opened, closed, tag, due_day, amount], ...]`."""
        return [[self._rows[i * _WIDTH], *self._item(i)] for i in range(len(self))]

    @classmethod
    def from_list(cls, rows: list[list[float]], limit: int = DEFAULT_LIMIT) -> ItemLedger:
        """Rebuild from `to_list`."""
        ledger = cls(limit)
        for hashed, opened, closed, tag, due_day, amount in rows:
            item = Item(int(opened), int(closed), int(tag), int(due_day), float(amount))
            ledger.put(int(hashed), item)
        return ledger


def _staleness(item: Item) -> tuple[bool, int]:
    return item.is_open, max(item.opened, item.closed)


def currency_code(currency: str) -> int:
    """A 3-letter currency as 15 bits (5 per letter), stable whatever the code list."""
    code = 0
    for letter in currency.upper()[:3]:
        code = code << 5 | (ord(letter) - 64) & 0x1F
    return code


def currency_of_code(code: int) -> str | None:
    """The currency `currency_code` packed, None for 0."""
    if not code:
        return None
    return "".join(chr(64 + (code >> shift & 0x1F)) for shift in (10, 5, 0))
