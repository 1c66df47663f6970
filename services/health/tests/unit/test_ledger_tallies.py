"""Ledgers and their open-item tallies against a plain reference: a dict of items, the
stalest found by a scan, open tickets counted and invoice figures summed by walking every
item, on random operations below, at and past the limit. And, below the limit, the same
events in any order leave the same ledger."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.health.scoring import ledger as ledgers
from pulse.health.scoring.ledger import Item, ItemLedger, currency_code, currency_of_code
from pulse.health.scoring.open_tallies import (
    TICKET_TAG_MASK,
    ExactSum,
    InvoiceBook,
    OpenInvoices,
    OpenTickets,
)
from pulse.health.scoring.packing import stable_hash

IDS = [f"item-{n}" for n in range(10)]
SECONDS = st.integers(1, 40)  # few: ties in staleness are common
CURRENCIES = [0, currency_code("EUR"), currency_code("USD")]
#: Amounts whose float sums depend on the order they are added in.
AMOUNTS = st.sampled_from([0.0, 0.1, 0.2, 0.3, 1e-3, 12.5, 99.99, 1e6, 1 / 3])
OPERATION = st.one_of(
    st.tuples(st.just("open_ticket"), st.sampled_from(IDS), SECONDS, st.integers(0, 300)),
    st.tuples(st.just("close"), st.sampled_from(IDS), SECONDS, st.just(0)),
    st.tuples(
        st.just("open_invoice"),
        st.sampled_from(IDS),
        SECONDS,
        st.tuples(st.sampled_from(CURRENCIES), st.integers(0, 12), AMOUNTS),
    ),
    st.tuples(st.just("prune"), st.just(""), SECONDS, st.just(0)),
)


class PlainLedger:
    """What a ledger keeps, the plain way: every question is a walk over the items."""

    def __init__(self, limit: int) -> None:
        self.items: dict[int, Item] = {}
        self.limit = limit

    def put(self, hashed: int, item: Item) -> None:
        new = hashed not in self.items
        self.items[hashed] = item
        if new and len(self.items) > self.limit:
            stalest = min(
                sorted(self.items),  # of a tie, the lowest hash
                key=lambda h: (self.items[h].is_open, max(self.items[h][:2])),
            )
            del self.items[stalest]

    def apply(self, operation: tuple[str, str, int, Any]) -> None:
        name, item_id, second, extra = operation
        hashed = stable_hash(item_id)
        item = self.items.get(hashed, Item())
        if name == "open_ticket":
            opened, tag = max((item.opened, item.tag), (second, extra))
            self.put(hashed, item._replace(opened=opened, tag=tag))
        elif name == "close":
            self.put(hashed, item._replace(closed=max(item.closed, second)))
        elif name == "open_invoice":
            tag, due_day, amount = extra
            dues = [d for d in (item.due_day, due_day) if d]
            merged = Item(
                max(item.opened, second), item.closed, max(item.tag, tag),
                min(dues) if dues else 0, max(item.amount, amount),
            )  # fmt: skip
            self.put(hashed, merged)
        else:
            self.items = {h: i for h, i in self.items.items() if i.is_open or i.closed >= second}

    def rows(self) -> list[list[float]]:
        return [[h, *item] for h, item in sorted(self.items.items())]

    def open_items(self) -> list[Item]:
        return [item for item in self.items.values() if item.is_open]


def apply(ledger: ItemLedger, operation: tuple[str, str, int, Any]) -> None:
    name, item_id, second, extra = operation
    if name == "open_ticket":
        ledger.open_ticket(item_id, second, extra)
    elif name == "close":
        ledger.close(item_id, second)
    elif name == "open_invoice":
        tag, due_day, amount = extra
        ledger.open_invoice(item_id, Item(second, 0, tag, due_day, amount))
    else:
        ledger.prune(second)


def total(books: list[InvoiceBook], part: str, today: int = 0) -> float:
    summed = ExactSum()
    for book in books:
        summed = summed.plus(book.amount if part == "amount" else book.overdue(today))
    return summed.value()


def assert_tallies_match(ledger: ItemLedger, plain: PlainLedger, days: list[int]) -> None:
    both = ledger.tally()
    assert isinstance(both, _Both)
    tickets, invoices = both.tickets, both.invoices
    open_items = plain.open_items()
    assert tickets.by_tag() == Counter(i.tag & TICKET_TAG_MASK for i in open_items)
    for currency in (None, "EUR", "USD"):
        books = invoices.books(currency)
        mine = [
            i for i in open_items if currency is None or currency_of_code(i.tag) in {None, currency}
        ]
        dues = [i.due_day for i in mine if i.due_day]
        assert sum(book.count for book in books) == len(mine)
        assert total(books, "amount") == math.fsum(i.amount for i in mine)  # both exact
        earliest = [d for d in (b.earliest_due() for b in books) if d is not None]
        assert min(earliest, default=None) == min(dues, default=None)
        for day in days:  # back and forth: the overdue amount is kept for the last day
            overdue = math.fsum(i.amount for i in mine if i.due_day and i.due_day < day)
            assert total(books, "overdue", day) == overdue
            firsts = [d for d in (b.first_due_from(day) for b in books) if d is not None]
            assert min(firsts, default=None) == min((d for d in dues if d >= day), default=None)


@settings(max_examples=300)
@given(
    operations=st.lists(OPERATION, max_size=60),
    limit=st.integers(1, 8),
    days=st.lists(st.integers(0, 14), min_size=1, max_size=4),
    tally_from=st.sampled_from([0, 3, 1000]),  # kept from the start, from 3 items, never
)
def test_ledger_and_tallies_match_a_plain_walk(
    operations: list[tuple[str, str, int, Any]], limit: int, days: list[int], tally_from: int
) -> None:
    usual, ledgers.TALLY_FROM = ledgers.TALLY_FROM, tally_from
    try:
        ledger, plain = ItemLedger(limit, _Both.new), PlainLedger(limit)
        for operation in operations:
            apply(ledger, operation)
            plain.apply(operation)
            assert ledger.to_list() == plain.rows()
            assert len(ledger) <= limit
            assert_tallies_match(ledger, plain, days)
        stored = ItemLedger.from_list(ledger.to_list(), limit, _Both.new)
        assert stored.to_list() == ledger.to_list()
        assert_tallies_match(stored, plain, days)
    finally:
        ledgers.TALLY_FROM = usual
    apply(stored, ("open_ticket", "one-more", 41, 0))  # loaded full: its drop order works
    plain.apply(("open_ticket", "one-more", 41, 0))
    assert stored.to_list() == plain.rows()


class _Both:
    """Tells both tallies of every open item (they keep different figures)."""

    def __init__(self) -> None:
        self.tickets, self.invoices = OpenTickets(), OpenInvoices()

    @classmethod
    def new(cls) -> _Both:
        return cls()

    def add(self, hashed: int, item: Item) -> None:
        self.tickets.add(hashed, item)
        self.invoices.add(hashed, item)

    def remove(self, hashed: int, item: Item) -> None:
        self.tickets.remove(hashed, item)
        self.invoices.remove(hashed, item)


@given(data=st.data(), operations=st.lists(OPERATION.filter(lambda o: o[0] != "prune")))
def test_below_the_limit_the_order_of_events_does_not_matter(
    data: st.DataObject, operations: list[tuple[str, str, int, Any]]
) -> None:
    # Tickets and invoices live in separate ledgers: an id is one or the other here too
    # (their openings merge differently). Closings go to either, by their time.
    operations = [_one_kind(operation) for operation in operations]
    shuffled = data.draw(st.permutations(operations))
    kept = []
    for sequence in (operations, shuffled):
        ledger = ItemLedger(2 * len(IDS), _Both.new)
        for operation in sequence:
            apply(ledger, operation)
        kept.append(ledger)
    assert kept[0].to_list() == kept[1].to_list()
    plain = PlainLedger(2 * len(IDS))
    for operation in operations:
        plain.apply(operation)
    assert_tallies_match(kept[1], plain, [0, 5, 13])


def _one_kind(operation: tuple[str, str, int, Any]) -> tuple[str, str, int, Any]:
    name, item_id, second, extra = operation
    invoice = name == "open_invoice" or (name == "close" and second % 2 == 1)
    return name, f"invoice-{item_id}" if invoice else item_id, second, extra


def test_exact_sums_come_back_to_zero_and_do_not_depend_on_order() -> None:
    forwards, backwards = ExactSum(), ExactSum()
    values = [0.1, 0.2, 0.3, 1e16, 1e-300, 1 / 3]
    for value in values:
        forwards.add(value)
    for value in reversed(values):
        backwards.add(value)
    assert forwards.value() == backwards.value() == math.fsum(values)
    for value in values:
        forwards.add(value, -1)
    assert forwards.value() == 0.0
