"""Aggregations of open items: tickets not yet resolved, invoices not yet paid.

Billing aggregations (open amount, days overdue, overdue amount over ARR) read invoices in
the account's currency (or of unknown currency) and are missing until the account's first
invoice event; days overdue are whole UTC days past the due day and grow every midnight.

Each reads the ledgers' tallies (`open_tallies`): a few counters per measure, however many
items an account holds.
"""

from __future__ import annotations

from functools import lru_cache

from pulse.health.scoring.catalog import CHANNEL, PRIORITY, TICKET_TYPES, value_of_code
from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.open_tallies import ExactSum, InvoiceBook, OpenInvoices, OpenTickets
from pulse.health.scoring.reading import Reading


def open_count(r: Reading) -> float:
    """Open tickets matching any read's filters, or open invoices."""
    if r.measure.reads[0].type not in TICKET_TYPES:
        return float(sum(book.count for book in _books(r.facts)))
    tickets = r.facts.tickets
    if tickets is None:
        return 0.0
    tally = tickets.tally()
    assert isinstance(tally, OpenTickets), "facts keep open tickets by tag"
    selectors = [read.compiled_for_tickets for read in r.measure.reads]
    return float(
        sum(
            count
            for tag, count in tally.by_tag().items()  # at most 16 x 16 tags
            if any(s.matches_values(_ticket_values(tag)) for s in selectors)
        )
    )


@lru_cache(maxsize=256)
def _ticket_values(tag: int) -> list[str]:
    return [value_of_code(PRIORITY, tag & 0xF), value_of_code(CHANNEL, tag >> 4 & 0xF)]


def _books(facts: AccountFacts) -> list[InvoiceBook]:
    """Open invoices in the account's currency (or of unknown currency)."""
    if facts.invoices is None:
        return []
    tally = facts.invoices.tally()
    assert isinstance(tally, OpenInvoices), "facts keep open invoices by currency"
    return tally.books(facts.attributes.currency)


def _total(sums: list[ExactSum]) -> float:
    total = ExactSum()
    for part in sums:
        total = total.plus(part)
    return total.value()


def _earliest_due(books: list[InvoiceBook]) -> int | None:
    return min((d for d in (b.earliest_due() for b in books) if d is not None), default=None)


def open_amount(r: Reading) -> float | None:
    """Amount of the open invoices."""
    if r.facts.invoices is None:
        return None
    return _total([book.amount for book in _books(r.facts)])


def max_days_overdue(r: Reading) -> float | None:
    """Largest days past due among open invoices; 0 when none is late."""
    if r.facts.invoices is None:
        return None
    earliest = _earliest_due(_books(r.facts))
    return float(max(0, 0 if earliest is None else r.today - earliest))


def overdue_ratio(r: Reading) -> float | None:
    """Amount of open invoices past their due day over ARR."""
    arr = r.facts.arr
    if r.facts.invoices is None or not arr or arr <= 0:
        return None
    return _total([book.overdue(r.today) for book in _books(r.facts)]) / arr


def overdue_days_change_day(r: Reading) -> int | None:
    """Days overdue grow every midnight after the due day."""
    earliest = _earliest_due(_books(r.facts))
    return None if earliest is None else max(r.today + 1, earliest + 1)


def overdue_ratio_change_day(r: Reading) -> int | None:
    """An open invoice joins the overdue amount the midnight after its due day."""
    days = (book.first_due_from(r.today) for book in _books(r.facts))
    first = min((d for d in days if d is not None), default=None)
    return None if first is None else first + 1
