"""What scoring reads of a ledger's open items, kept up to date as items open and close.

Scoring asks after every event: how many tickets are open per priority and channel, how
much is open and overdue in the account's currency, the earliest due day. Walking a
ledger of thousands of items for each answer made one busy account cost the others 20x;
the tallies below answer from a few counters, or an O(log n) search, whatever the ledger
holds. A property test holds them to a plain walk over the items.

Amounts are summed exactly (`ExactSum`) so that adding and removing invoices in any
order leaves the same total: the one rounding is when the total is read.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

from pulse.health.scoring.ledger import Item, currency_of_code
from pulse.health.scoring.packing import HASH_BITS

_HASH_BITS = HASH_BITS
#: Ticket tags a selector reads: priority code (low 4 bits), channel code (next 4).
TICKET_TAG_MASK = 0xFF


class OpenTickets:
    """Open tickets per tag (priority and channel): at most 16 x 16 counters."""

    __slots__ = ("_by_tag",)

    def __init__(self) -> None:
        self._by_tag: dict[int, int] = {}

    def add(self, hashed: int, item: Item) -> None:
        tag = item.tag & TICKET_TAG_MASK
        self._by_tag[tag] = self._by_tag.get(tag, 0) + 1

    def remove(self, hashed: int, item: Item) -> None:
        tag = item.tag & TICKET_TAG_MASK
        left = self._by_tag[tag] - 1
        if left:
            self._by_tag[tag] = left
        else:
            del self._by_tag[tag]

    def by_tag(self) -> dict[int, int]:
        """Open tickets per tag (do not modify)."""
        return self._by_tag


class ExactSum:
    """A sum of floats kept exactly, as an integer times a power of two: the same total
    whatever the order values are added and taken away in."""

    __slots__ = ("_exponent", "_units")

    def __init__(self) -> None:
        self._units = 0
        self._exponent = 0

    def add(self, value: float, sign: int = 1) -> None:
        """Add `value` (take it away with sign -1); `value` must be finite."""
        numerator, denominator = value.as_integer_ratio()  # denominator: a power of two
        exponent = 1 - denominator.bit_length()
        if exponent < self._exponent:
            self._units <<= self._exponent - exponent
            self._exponent = exponent
        self._units += sign * (numerator << (exponent - self._exponent))

    def plus(self, other: ExactSum) -> ExactSum:
        """A new sum of both."""
        total = ExactSum()
        for part in (self, other):
            total._units, total._exponent = _aligned(total, part)
        return total

    def value(self) -> float:
        """The sum, rounded once to the nearest float."""
        if self._exponent >= 0:
            return float(self._units << self._exponent)
        return self._units / (1 << -self._exponent)  # int / int: correctly rounded


def _aligned(total: ExactSum, part: ExactSum) -> tuple[int, int]:
    exponent = min(total._exponent, part._exponent)
    units = total._units << (total._exponent - exponent)
    return units + (part._units << (part._exponent - exponent)), exponent


class InvoiceBook:
    """Open invoices of one currency: their number, exact amount, and their due days in
    order (`due_day << 48 | id hash`) with amounts, for days overdue and what is overdue.

    The amount overdue on a day is kept for the last day asked, and moved to another day
    by adding or taking away the invoices whose due day lies between: each invoice
    crosses once as the days go by."""

    __slots__ = ("_amount", "_due", "_due_amounts", "_overdue", "_overdue_before", "count")

    def __init__(self) -> None:
        self.count = 0
        self._amount = ExactSum()
        self._due: array[int] = array("Q")
        self._due_amounts: array[float] = array("d")
        self._overdue_before = 1  # `_overdue`: amounts due before this day (none before 1)
        self._overdue = ExactSum()

    def add(self, hashed: int, item: Item, sign: int = 1) -> None:
        """Count an open invoice in (sign -1: out, as it was counted in)."""
        self.count += sign
        self._amount.add(item.amount, sign)
        if not item.due_day:
            return
        key = item.due_day << _HASH_BITS | hashed
        i = bisect_left(self._due, key)
        if sign > 0:
            self._due.insert(i, key)
            self._due_amounts.insert(i, item.amount)
        else:
            del self._due[i]
            del self._due_amounts[i]
        if item.due_day < self._overdue_before:
            self._overdue.add(item.amount, sign)

    @property
    def amount(self) -> ExactSum:
        """The amount of the open invoices."""
        return self._amount

    def earliest_due(self) -> int | None:
        """The earliest due day of the open invoices that have one."""
        return self._due[0] >> _HASH_BITS if self._due else None

    def first_due_from(self, day: int) -> int | None:
        """The earliest due day on or after `day`."""
        i = bisect_left(self._due, day << _HASH_BITS)
        return self._due[i] >> _HASH_BITS if i < len(self._due) else None

    def overdue(self, today: int) -> ExactSum:
        """The amount of the open invoices due before `today` (days overdue > 0)."""
        today = max(today, 1)
        before, due = self._overdue_before, self._due
        if today != before:
            low, high = sorted((before, today))
            sign = 1 if today > before else -1
            first = bisect_left(due, low << _HASH_BITS)
            last = bisect_left(due, high << _HASH_BITS)
            for amount in self._due_amounts[first:last]:
                self._overdue.add(amount, sign)
            self._overdue_before = today
        return self._overdue


class OpenInvoices:
    """Open invoices per currency (None: not said). Currencies are ISO 4217 codes (ingest
    checks them): at most a few hundred books, one in practice."""

    __slots__ = ("_by_currency",)

    def __init__(self) -> None:
        self._by_currency: dict[str | None, InvoiceBook] = {}

    def add(self, hashed: int, item: Item) -> None:
        currency = currency_of_code(item.tag)
        book = self._by_currency.get(currency)
        if book is None:
            book = self._by_currency[currency] = InvoiceBook()
        book.add(hashed, item)

    def remove(self, hashed: int, item: Item) -> None:
        currency = currency_of_code(item.tag)
        book = self._by_currency[currency]
        book.add(hashed, item, -1)
        if not book.count:
            del self._by_currency[currency]

    def books(self, currency: str | None) -> list[InvoiceBook]:
        """The books of the open invoices an account in `currency` reads: those in its
        currency and those of no currency; all of them when the account's is unknown."""
        if currency is None:
            return list(self._by_currency.values())
        found = (self._by_currency.get(None), self._by_currency.get(currency))
        return [book for book in found if book is not None]
