"""Aggregations of open items: tickets not yet resolved, invoices not yet paid.

Billing aggregations (open amount, days overdue, overdue amount over ARR) read invoices in
the account's currency (or of unknown currency) and are missing until the account's first
invoice event; days overdue are whole UTC days past the due day and grow every midnight.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulse.health.scoring.catalog import CHANNEL, PRIORITY, TICKET_TYPES, value_of_code
from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.ledger import Item, currency_of_code
from pulse.health.scoring.reading import Reading


def open_count(r: Reading) -> float:
    """Open tickets matching any read's filters, or open invoices."""
    tickets = r.facts.tickets
    if r.measure.reads[0].type not in TICKET_TYPES:
        return float(sum(1 for _ in _open_invoices(r.facts)))
    if tickets is None:
        return 0.0
    selectors = [read.compiled_for_tickets for read in r.measure.reads]
    return float(
        sum(
            1
            for item in tickets.open_items()
            if any(s.matches_values(_ticket_values(item)) for s in selectors)
        )
    )


def _ticket_values(item: Item) -> list[str]:
    return [value_of_code(PRIORITY, item.tag & 0xF), value_of_code(CHANNEL, item.tag >> 4 & 0xF)]


def _open_invoices(facts: AccountFacts) -> Iterator[Item]:
    """Open invoices in the account's currency (or of unknown currency)."""
    if facts.invoices is None:
        return iter(())
    currency = facts.attributes.currency
    return (
        item
        for item in facts.invoices.open_items()
        if currency is None or currency_of_code(item.tag) in {None, currency}
    )


def open_amount(r: Reading) -> float | None:
    """Amount of the open invoices."""
    if r.facts.invoices is None:
        return None
    return sum(item.amount for item in _open_invoices(r.facts))


def max_days_overdue(r: Reading) -> float | None:
    """Largest days past due among open invoices; 0 when none is late."""
    if r.facts.invoices is None:
        return None
    overdue = (r.today - item.due_day for item in _open_invoices(r.facts) if item.due_day)
    return float(max(0, max(overdue, default=0)))


def overdue_ratio(r: Reading) -> float | None:
    """Amount of open invoices past their due day over ARR."""
    arr = r.facts.arr
    if r.facts.invoices is None or not arr or arr <= 0:
        return None
    invoices = _open_invoices(r.facts)
    return sum(i.amount for i in invoices if i.due_day and i.due_day < r.today) / arr


def overdue_days_change_day(r: Reading) -> int | None:
    """Days overdue grow every midnight after the due day."""
    invoices = _open_invoices(r.facts)
    return min((max(r.today + 1, i.due_day + 1) for i in invoices if i.due_day), default=None)


def overdue_ratio_change_day(r: Reading) -> int | None:
    """An open invoice joins the overdue amount the midnight after its due day."""
    invoices = _open_invoices(r.facts)
    return min((i.due_day + 1 for i in invoices if i.due_day >= r.today), default=None)
