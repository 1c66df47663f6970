"""What the account state keeps of each event type, and so what a scoring model can read.

This table is the contract between the state and the models: the state keeps daily counts
per event type split by the *dimensions* listed here (closed, low-cardinality attributes),
the sum of one numeric *value field* per type, the latest value and the day of the latest
event of each split, the last day each distinct value of a few fields was seen, and open
items (tickets, invoices). A model can filter (`where`) only on dimensions, sum or average
only value fields, count distinct only the distinct fields, and use windows no longer than
`window_limit` days of the type. `load_model` reports anything else with its path.

Ticket tags stored in the state hold 1-based positions in the dimension tuples below:
append new values, never reorder them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from pulse.common.events import (
    AccountSignalKind,
    ContactChange,
    ContactRole,
    ContractChange,
    EventData,
    MarketingEngagementKind,
    OutageSeverity,
    SurveyKind,
    TicketChannel,
    TicketPriority,
    TouchpointKind,
)

#: The dimension value of an event that does not carry the attribute.
ABSENT = "-"
#: The longest window the state can serve for any type (account signals, contracts).
LONGEST_WINDOW = 365


@dataclass(frozen=True, slots=True)
class Dimension:
    """An attribute daily counts are split by; `values` empty means free text."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Kept:
    """What the state keeps of one event type."""

    dimensions: tuple[Dimension, ...] = ()
    #: The numeric field summed per day, averaged and kept as the latest value.
    value_field: str | None = None
    #: The longest window (days) a model may use over this type's daily counts.
    window_limit: int = 90

    def dimension(self, name: str) -> Dimension | None:
        """The dimension called `name`, if the type is split by it."""
        return next((d for d in self.dimensions if d.name == name), None)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


PRIORITY = Dimension("priority", _values(TicketPriority))
CHANNEL = Dimension("channel", _values(TicketChannel))
SEVERITY = Dimension("severity", _values(OutageSeverity))

KEPT: dict[str, Kept] = {
    "usage.activity": Kept(value_field="quantity", window_limit=90),
    "metric.recorded": Kept((Dimension("name", ()),), value_field="value", window_limit=90),
    "support.ticket.opened": Kept((PRIORITY, CHANNEL)),
    "support.ticket.resolved": Kept(value_field="csat"),
    "outage.started": Kept((SEVERITY,)),
    "outage.resolved": Kept((SEVERITY,)),
    "invoice.issued": Kept(value_field="amount", window_limit=365),
    "invoice.paid": Kept(window_limit=365),
    "invoice.overdue": Kept(value_field="amount", window_limit=365),
    "contact.changed": Kept(
        (Dimension("role", _values(ContactRole)), Dimension("change", _values(ContactChange))),
        window_limit=180,
    ),
    "engagement.touchpoint": Kept(
        (
            Dimension("kind", _values(TouchpointKind)),
            Dimension("with_executive", ("true", "false")),
        ),
        window_limit=180,
    ),
    "survey.response": Kept(
        (Dimension("kind", _values(SurveyKind)),), value_field="score", window_limit=180
    ),
    "marketing.engagement": Kept((Dimension("kind", _values(MarketingEngagementKind)),)),
    "account.signal": Kept(
        (Dimension("kind", _values(AccountSignalKind)),), window_limit=LONGEST_WINDOW
    ),
    "contract.changed": Kept(
        (Dimension("change", _values(ContractChange)),), window_limit=LONGEST_WINDOW
    ),
}

#: Read as account attributes (segment, ARR, seats, ...), never as countable events.
ATTRIBUTE_TYPES = frozenset({"account.updated"})

#: Fields whose distinct values are kept with the last day each was seen (bounded).
DISTINCT_FIELDS: dict[str, tuple[str, ...]] = {"usage.activity": ("user_id", "feature")}

#: Event types that open items and the ledger they open them in.
TICKET_TYPES = ("support.ticket.opened", "support.ticket.resolved")
INVOICE_TYPES = ("invoice.issued", "invoice.paid", "invoice.overdue")
#: Ticket attributes an `open_count` can filter on (kept with each open ticket).
TICKET_DIMENSIONS = (PRIORITY, CHANNEL)

#: Account attributes a `ratio_to_attribute` can divide by.
RATIO_ATTRIBUTES = ("licensed_seats", "arr")

#: Most metric names kept per account; later names are ignored.
MAX_METRIC_NAMES = 32


def code_of(dimension: Dimension, value: str | None) -> int:
    """The 1-based position of a value of a closed dimension; 0 when absent or unknown."""
    if value is None or value not in dimension.values:
        return 0
    return dimension.values.index(value) + 1


def value_of_code(dimension: Dimension, code: int) -> str:
    """The value at a 1-based position, or `ABSENT` for 0."""
    return dimension.values[code - 1] if 0 < code <= len(dimension.values) else ABSENT


@lru_cache(maxsize=4096)
def type_of(key: str) -> str:
    """The event type of a series key."""
    return key.split("|", 1)[0]


def series_key(event_type: str, kept: Kept, data: EventData) -> str:
    """`type|value|value` of an event's dimensions, e.g. `support.ticket.opened|urgent|phone`."""
    if not kept.dimensions:
        return event_type
    parts = [event_type]
    for dimension in kept.dimensions:
        value = getattr(data, dimension.name)
        if value is None:
            parts.append(ABSENT)
        elif isinstance(value, bool):
            parts.append("true" if value else "false")
        else:
            parts.append(str(value))
    key = "|".join(parts)
    # closed dimensions have few combinations: share the strings between accounts
    return sys.intern(key) if all(d.values for d in kept.dimensions) else key


def key_values(key: str, kept: Kept) -> list[str]:
    """The dimension values of a series key, in `kept.dimensions` order."""
    return key.split("|", len(kept.dimensions))[1:]
