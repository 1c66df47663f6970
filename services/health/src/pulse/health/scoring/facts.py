"""Everything known about one account that scoring reads, built from events in event time.

`AccountFacts` keeps raw, model-independent evidence (see `catalog`): daily counts per event
type and dimension values in UTC day buckets, the last day each user and feature was seen,
open tickets and invoices, account attributes and the CSM's sentiment. Any scoring model
can be evaluated over it, so a model swap re-scores from stored facts.

Late events are welcome up to `grace_days` behind the state's clock (the latest of the
`as_of` moments it was given and the event times it applied); older ones are refused.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from pulse.common.events import (
    AccountUpdated,
    ContractChanged,
    Event,
    EventData,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    SupportTicketOpened,
    SupportTicketResolved,
    UsageActivity,
)
from pulse.health.scoring.attributes import AccountAttributes
from pulse.health.scoring.bands import BANDS
from pulse.health.scoring.catalog import (
    CHANNEL,
    DISTINCT_FIELDS,
    KEPT,
    MAX_METRIC_NAMES,
    PRIORITY,
    code_of,
    series_key,
    type_of,
)
from pulse.health.scoring.days import (
    SECONDS_PER_DAY,
    day_of,
    day_of_second,
    moment_of,
    representable,
    seconds_of,
)
from pulse.health.scoring.lastseen import LastSeen
from pulse.health.scoring.ledger import Item, ItemLedger, currency_code
from pulse.health.scoring.open_tallies import OpenInvoices, OpenTickets
from pulse.health.scoring.series import DailyCounts

GRACE_DAYS = 30
SENTIMENTS = BANDS
MAX_NOTE_LENGTH = 2_000
#: Version of the `to_dict` layout. 2: daily counts as columns over all series (1: a
#: dict per series, slower to write); format 1 states still load.
FORMAT = 2
READABLE_FORMATS = (1, 2)
_DISTINCT = tuple((t, f) for t, fields in DISTINCT_FIELDS.items() for f in fields)
_USERS = _DISTINCT.index(("usage.activity", "user_id"))  # positions in `_distinct`
_FEATURES = _DISTINCT.index(("usage.activity", "feature"))
#: Per-account limits an event can hit (see `take_limits_hit`): the tickets and invoices
#: kept (`ledger.DEFAULT_LIMIT`), the distinct users and features (`lastseen.DEFAULT_LIMIT`),
#: the metric names (`catalog.MAX_METRIC_NAMES`).
LIMITS = ("tickets", "invoices", "users", "features", "metric_names")
_DISTINCT_LIMITS = {_USERS: "users", _FEATURES: "features"}


class AccountFacts:
    """The evidence about one account: apply events, prune old days, dump to JSON."""

    __slots__ = (
        "_clock",
        "_distinct",
        "_limits_hit",
        "_pruned_day",
        "attributes",
        "csm_note",
        "csm_sentiment",
        "csm_set_at",
        "daily",
        "grace_days",
        "invoices",
        "tickets",
    )

    def __init__(self, grace_days: int = GRACE_DAYS) -> None:
        self.grace_days = grace_days
        self._clock = 0  # s: latest as_of or event time seen; lateness is measured from it
        self._pruned_day = -1
        self.attributes = AccountAttributes()
        self.daily = DailyCounts()
        self._distinct: list[LastSeen | None] = [None] * len(_DISTINCT)
        self.tickets: ItemLedger | None = None  # None until the first ticket event
        self.invoices: ItemLedger | None = None  # None until the first invoice event
        self.csm_sentiment: str | None = None
        self.csm_note: str | None = None
        self.csm_set_at: datetime | None = None
        self._limits_hit: list[str] | None = None  # since `take_limits_hit`

    # -- attributes ------------------------------------------------------------------------

    @property
    def clock(self) -> datetime | None:
        """The latest moment this state has seen (an `as_of` or an event time)."""
        return moment_of(self._clock) if self._clock else None

    @property
    def owner(self) -> str | None:
        """The account's owner (CSM), from `account.updated`."""
        return self.attributes.owner

    @property
    def arr(self) -> float | None:
        """Annual recurring revenue: `account.updated` arr or `contract.changed` arr_after."""
        return self.attributes.arr

    def segment_for(self, high_touch_min_arr: float, low_touch_min_arr: float) -> str:
        """The segment `account.updated` set, else by ARR thresholds, else tech_touch."""
        if self.attributes.segment is not None:
            return self.attributes.segment
        arr = self.attributes.arr
        if arr is not None and arr >= high_touch_min_arr:
            return "high_touch"
        if arr is not None and arr >= low_touch_min_arr:
            return "low_touch"
        return "tech_touch"

    def kept_items(self) -> int:
        """Tickets, invoices and distinct values kept: what makes a state large."""
        ledgers = sum(len(ledger) for ledger in (self.tickets, self.invoices) if ledger)
        return ledgers + sum(len(seen) for seen in self._distinct if seen is not None)

    def types_sent(self) -> frozenset[str]:
        """The event types the account ever sent (series keys are never pruned)."""
        return frozenset(type_of(key) for key in self.daily.keys)

    def distinct(self, event_type: str, field: str) -> LastSeen | None:
        """The distinct values of a `DISTINCT_FIELDS` field, if any was seen."""
        return self._distinct[_DISTINCT.index((event_type, field))]

    # -- writing ---------------------------------------------------------------------------

    def apply(self, event: Event, as_of: datetime | None = None) -> bool:
        """Apply one event; whether anything changed. False for events too late to apply:
        older than `grace_days` before `as_of` (or before the latest moment seen)."""
        second = seconds_of(event.occurred_at)
        if not representable(second):
            return False
        reference = self._clock if as_of is None else max(self._clock, seconds_of(as_of))
        self._clock = max(reference, second)
        if second < reference - self.grace_days * SECONDS_PER_DAY:
            return False
        if isinstance(event, AccountUpdated):
            return self._update_account(event, second)
        if not self._count(event, second):
            return False
        self._follow_items(event, second)
        return True

    def _update_account(self, event: AccountUpdated, second: int) -> bool:
        values = event.data.model_dump(exclude_none=True)
        if "arr" in values:
            values["arr"] = float(values["arr"])
        if "segment" in values:
            values["segment"] = str(event.data.segment)
        return self.attributes.update(values, second)

    def _count(self, event: Event, second: int) -> bool:
        kept = KEPT[event.type]
        key = series_key(event.type, kept, event.data)
        if event.type == "metric.recorded" and _over_metric_limit(self.daily, key):
            self._hit("metric_names")
            return False
        value = _value(event.data, kept.value_field)
        self.daily.add(key, day_of_second(second), second, value, kept.value_field is not None)
        return True

    def _follow_items(self, event: Event, second: int) -> None:
        day = day_of_second(second)
        if isinstance(event, UsageActivity):
            self._see(_USERS, event.data.user_id, day)
            if event.data.feature is not None:
                self._see(_FEATURES, event.data.feature, day)
        elif isinstance(event, SupportTicketOpened):
            tag = code_of(PRIORITY, event.data.priority) | code_of(CHANNEL, event.data.channel) << 4
            self._tickets().open_ticket(event.data.ticket_id, second, tag)
            self._count_dropped(self._tickets(), "tickets")
        elif isinstance(event, SupportTicketResolved):
            self._tickets().close(event.data.ticket_id, second)
            self._count_dropped(self._tickets(), "tickets")
        elif isinstance(event, InvoiceIssued):
            item = Item(
                second, 0, currency_code(event.data.currency), day_of(event.data.due_at),
                float(event.data.amount),
            )  # fmt: skip
            self._invoices().open_invoice(event.data.invoice_id, item)
            self._count_dropped(self._invoices(), "invoices")
        elif isinstance(event, InvoiceOverdue):
            self._invoices().open_invoice(event.data.invoice_id, _overdue_item(event, second))
            self._count_dropped(self._invoices(), "invoices")
        elif isinstance(event, InvoicePaid):
            self._invoices().close(event.data.invoice_id, second)
            self._count_dropped(self._invoices(), "invoices")
        elif isinstance(event, ContractChanged):
            self.attributes.update({"arr": float(event.data.arr_after)}, second)

    def _see(self, position: int, value: str, day: int) -> None:
        seen = self._distinct[position]
        if seen is None:
            seen = self._distinct[position] = LastSeen()
        seen.see(value, day)
        self._count_dropped(seen, _DISTINCT_LIMITS[position])

    def _tickets(self) -> ItemLedger:
        if self.tickets is None:
            self.tickets = ItemLedger(tally=OpenTickets)
        return self.tickets

    def _invoices(self) -> ItemLedger:
        if self.invoices is None:
            self.invoices = ItemLedger(tally=OpenInvoices)
        return self.invoices

    def _count_dropped(self, kept: ItemLedger | LastSeen, limit: str) -> None:
        if kept.dropped:
            kept.dropped = 0
            self._hit(limit)

    def _hit(self, limit: str) -> None:
        if self._limits_hit is None:
            self._limits_hit = []
        self._limits_hit.append(limit)

    def take_limits_hit(self) -> list[str]:
        """The limits (`LIMITS`) events hit since the last call, once per item or value
        dropped, or event ignored: the service counts them, the state only reports."""
        hits, self._limits_hit = self._limits_hit, None
        return hits or []

    def set_csm_sentiment(self, value: str, note: str | None, at: datetime) -> bool:
        """A CSM's judgement (green, yellow or red); the one set latest wins."""
        if value not in SENTIMENTS:
            raise ValueError(f"expected a sentiment of green, yellow or red, got {value!r}")
        at = moment_of(seconds_of(at))  # whole seconds in UTC, as stored
        if self.csm_set_at is not None and at < self.csm_set_at:
            return False
        note = note[:MAX_NOTE_LENGTH] if note else None
        changed = (value, note, at) != (self.csm_sentiment, self.csm_note, self.csm_set_at)
        self.csm_sentiment, self.csm_note, self.csm_set_at = sys.intern(value), note, at
        return changed

    def prune(self, as_of: datetime) -> bool:
        """Drop what no window can read any more: days older than the type's window limit
        plus the grace period, and items closed before the grace period. Once a day."""
        self._clock = max(self._clock, seconds_of(as_of))
        today = day_of_second(self._clock)
        if today == self._pruned_day:
            return False
        self._pruned_day = today
        first_day = today - self.grace_days
        changed = self.daily.prune(lambda key: first_day - KEPT[type_of(key)].window_limit)
        for (event_type, _), seen in zip(_DISTINCT, self._distinct, strict=True):
            if seen is not None:
                changed |= seen.prune(first_day - KEPT[event_type].window_limit)
        closed_before = self._clock - self.grace_days * SECONDS_PER_DAY
        for ledger in (self.tickets, self.invoices):
            if ledger is not None:
                changed |= ledger.prune(closed_before)
        return changed

    # -- JSON ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-ready values (see `from_dict`)."""
        out: dict[str, Any] = {"v": FORMAT, "clock": self._clock}
        if self.grace_days != GRACE_DAYS:
            out["grace"] = self.grace_days
        if attributes := self.attributes.to_dict():
            out["attrs"] = attributes
        if series := self.daily.to_dict():
            out["series"] = series
        distinct = {
            f"{t}.{f}": seen.to_text()
            for (t, f), seen in zip(_DISTINCT, self._distinct, strict=True)
            if seen is not None
        }
        if distinct:
            out["distinct"] = distinct
        if self.tickets is not None:
            out["tickets"] = self.tickets.to_list()
        if self.invoices is not None:
            out["invoices"] = self.invoices.to_list()
        if self.csm_set_at is not None:
            out["csm"] = [self.csm_sentiment, self.csm_note, seconds_of(self.csm_set_at)]
        return out

    def _load(self, data: dict[str, Any]) -> None:
        version = data.get("v")
        if version not in READABLE_FORMATS:
            raise ValueError(
                f"expected account state format {' or '.join(map(str, READABLE_FORMATS))}, "
                f"got {version!r}"
            )
        self.grace_days = int(data.get("grace", GRACE_DAYS))
        self._clock = int(data["clock"])
        self.attributes = AccountAttributes.from_dict(data.get("attrs", {}))
        series = data.get("series", {})
        self.daily = (
            DailyCounts.from_series_dicts(series) if version == 1 else DailyCounts.from_dict(series)
        )
        for name, text in data.get("distinct", {}).items():
            event_type, field = name.rsplit(".", 1)
            self._distinct[_DISTINCT.index((event_type, field))] = LastSeen.from_text(text)
        if "tickets" in data:
            self.tickets = ItemLedger.from_list(data["tickets"], tally=OpenTickets)
        if "invoices" in data:
            self.invoices = ItemLedger.from_list(data["invoices"], tally=OpenInvoices)
        if "csm" in data:
            value, note, second = data["csm"]
            self.set_csm_sentiment(value, note, moment_of(int(second)))


def _value(data: EventData, field: str | None) -> float | None:
    if field is None:
        return None
    value = getattr(data, field)
    return None if value is None else float(value)


def _over_metric_limit(daily: DailyCounts, key: str) -> bool:
    if key in daily.keys:
        return False
    names = sum(1 for k in daily.keys if type_of(k) == "metric.recorded")
    return names >= MAX_METRIC_NAMES


def _overdue_item(event: InvoiceOverdue, second: int) -> Item:
    """An invoice as an overdue notice describes it: due `days_overdue` days before (1 if
    not said), its amount and currency if given."""
    days = event.data.days_overdue if event.data.days_overdue is not None else 1
    due_day = max(1, day_of_second(second) - days)
    amount = float(event.data.amount) if event.data.amount is not None else 0.0
    currency = currency_code(event.data.currency) if event.data.currency else 0
    return Item(second, 0, currency, due_day, amount)
