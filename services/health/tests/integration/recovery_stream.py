"""The recovery tests' event stream: a reproducible, realistic mix of events per
account, and the messages that carry them to health's topics."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pulse.common.events import (
    AccountSegment,
    AccountSignalKind,
    ContactChange,
    ContactRole,
    ContractChange,
    Event,
    MarketingEngagementKind,
    TicketChannel,
    TicketPriority,
    TouchpointKind,
    event_to_json,
    validate_event,
)
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.topics import Topics

FEATURES = [f"feature-{n}" for n in range(12)]
OWNERS = ["dana", "lee", "sam", "kim", "ari"]
# The closed vocabularies, in declaration order (the stream draws from them by position).
SEGMENTS = [str(v) for v in AccountSegment]
PRIORITIES = [str(v) for v in TicketPriority]
CHANNELS = [str(v) for v in TicketChannel]
ROLES = [str(v) for v in ContactRole]
CONTACT_CHANGES = [str(v) for v in ContactChange]
TOUCHPOINTS = [str(v) for v in TouchpointKind]
MARKETING = [str(v) for v in MarketingEngagementKind]
SIGNALS = [str(v) for v in AccountSignalKind]
CONTRACT_CHANGES = [str(v) for v in ContractChange]
#: Relative frequency of each kind of event in the stream.
MIX = {
    "usage.activity": 50,
    "metric.recorded": 2,
    "support.ticket.opened": 8,
    "support.ticket.resolved": 6,
    "invoice.issued": 3,
    "invoice.overdue": 2,
    "invoice.paid": 2,
    "account.updated": 4,
    "contract.changed": 1,
    "outage.started": 2,
    "outage.resolved": 1,
    "survey.response": 5,
    "contact.changed": 3,
    "engagement.touchpoint": 5,
    "marketing.engagement": 4,
    "account.signal": 2,
}


@dataclass(frozen=True, slots=True)
class Stream:
    """Distinct events, and the messages that carry them (each event twice)."""

    events: list[Event]
    messages: list[OutgoingMessage]

    def by_account(self) -> dict[str, list[Event]]:
        """The distinct events of each account."""
        found: dict[str, list[Event]] = {}
        for event in self.events:
            found.setdefault(event.account_id, []).append(event)
        return found


def make_events(
    rng: random.Random, accounts: Sequence[str], per_account: int, now: datetime
) -> list[Event]:
    """A realistic mix of events over the last 20 days, each at a second of its own (so no
    result can depend on the order of events of equal time), each with an explicit id."""
    seconds = rng.sample(range(60, 20 * 86_400), len(accounts) * per_account)
    types = rng.choices(list(MIX), weights=list(MIX.values()), k=len(seconds))
    events: list[Event] = []
    for number, account in enumerate(accounts):
        maker = AccountEvents(rng)
        for n in range(per_account):
            position = number * per_account + n
            at = now - timedelta(seconds=seconds[position])
            raw = {
                "id": f"evt-{account}-{n}",
                "type": types[position],
                "account_id": account,
                "occurred_at": at.isoformat(),
                "data": maker.data(types[position], at),
            }
            events.append(validate_event(raw, now=now))
    return events


class AccountEvents:
    """The `data` of one account's events: tickets and invoices it opened are later
    resolved, paid or reminded of; users come from a pool around its seat count."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seats = rng.randint(5, 60)
        self.tickets: list[str] = []
        self.invoices: list[str] = []
        self.incidents: list[str] = []

    def data(self, kind: str, at: datetime) -> dict[str, Any]:
        """Valid `data` of an event of type `kind` that occurred `at`."""
        body: dict[str, Any] = getattr(self, "_" + kind.replace(".", "_"))(at)
        return body

    def _maybe(self, chance: float) -> bool:
        return self.rng.random() < chance

    def _known(self, items: list[str], orphan: str) -> str:
        """One of `items`, or an id never opened when there is none yet."""
        return self.rng.choice(items) if items else f"{orphan}{self.rng.randint(0, 9)}"

    def _metric_recorded(self, at: datetime) -> dict[str, Any]:
        return {
            "name": self.rng.choice(["api_calls", "storage_gb"]),
            "value": float(self.rng.randint(0, 999)),
        }

    def _contract_changed(self, at: datetime) -> dict[str, Any]:
        return {
            "change": self.rng.choice(CONTRACT_CHANGES),
            "arr_after": str(self.rng.randint(5, 900) * 1000),
            "effective_at": at.isoformat(),
        }

    def _contact_changed(self, at: datetime) -> dict[str, Any]:
        return {
            "contact_id": f"c{self.rng.randint(1, 30)}",
            "role": self.rng.choice(ROLES),
            "change": self.rng.choice(CONTACT_CHANGES),
        }

    def _marketing_engagement(self, at: datetime) -> dict[str, Any]:
        return {"kind": self.rng.choice(MARKETING)}

    def _account_signal(self, at: datetime) -> dict[str, Any]:
        return {"kind": self.rng.choice(SIGNALS)}

    def _invoice_paid(self, at: datetime) -> dict[str, Any]:
        return {"invoice_id": self._known(self.invoices, "INV-y")}

    def _usage_activity(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": f"u{self.rng.randint(1, self.seats + 10)}"}
        if self._maybe(0.9):
            body["feature"] = self.rng.choice(FEATURES)
        if self._maybe(0.3):
            body["quantity"] = float(self.rng.randint(1, 20))
        return body

    def _support_ticket_opened(self, at: datetime) -> dict[str, Any]:
        reopen = self.tickets and self._maybe(0.15)
        ticket = self.rng.choice(self.tickets) if reopen else f"T-{len(self.tickets)}"
        self.tickets.append(ticket)
        body: dict[str, Any] = {"ticket_id": ticket}
        if self._maybe(0.9):
            body["priority"] = self.rng.choice(PRIORITIES)
        if self._maybe(0.9):
            body["channel"] = self.rng.choice(CHANNELS)
        return body

    def _support_ticket_resolved(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"ticket_id": self._known(self.tickets, "T-orphan-")}
        if self._maybe(0.5):
            body["csat"] = self.rng.randint(1, 5)
        return body

    def _invoice_issued(self, at: datetime) -> dict[str, Any]:
        invoice = f"INV-{len(self.invoices)}"
        self.invoices.append(invoice)
        due = at + timedelta(days=self.rng.choice([7, 14, 30]))
        cents = self.rng.randint(0, 99)
        return {
            "invoice_id": invoice,
            "amount": f"{self.rng.randint(100, 90_000)}.{cents:02d}",
            "currency": "EUR",
            "due_at": due.isoformat(),
        }

    def _invoice_overdue(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"invoice_id": self._known(self.invoices, "INV-x")}
        if self._maybe(0.7):
            body["days_overdue"] = self.rng.randint(1, 70)
        if self._maybe(0.5):
            body.update(amount=str(self.rng.randint(100, 50_000)), currency="EUR")
        return body

    def _account_updated(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self._maybe(0.6):
            body["segment"] = self.rng.choice(SEGMENTS)
        if self._maybe(0.6):
            body.update(arr=str(self.rng.randint(5, 900) * 1000), currency="EUR")
        if self._maybe(0.6):
            body["licensed_seats"] = self.rng.randint(1, 80)
        if self._maybe(0.6) or not body:
            body["owner"] = self.rng.choice(OWNERS)
        return body

    def _outage_started(self, at: datetime) -> dict[str, Any]:
        self.incidents.append(f"INC-{len(self.incidents)}")
        return self._outage(self.incidents[-1])

    def _outage_resolved(self, at: datetime) -> dict[str, Any]:
        return self._outage(self._known(self.incidents, "INC-x"))

    def _outage(self, incident: str) -> dict[str, Any]:
        body: dict[str, Any] = {"incident_id": incident}
        if self._maybe(0.8):
            body["severity"] = self.rng.choice(["minor", "major", "critical"])
        return body

    def _survey_response(self, at: datetime) -> dict[str, Any]:
        survey, low, high = self.rng.choice([("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)])
        return {"kind": survey, "score": self.rng.randint(low, high)}

    def _engagement_touchpoint(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.rng.choice(TOUCHPOINTS)}
        if self._maybe(0.5):
            body["with_executive"] = self._maybe(0.4)
        return body


def to_message(topics: Topics, event: Event) -> OutgoingMessage:
    """The event as health reads it: on its domain topic, keyed by account."""
    return OutgoingMessage(
        topics.for_event_type(event.type), event.account_id.encode(), event_to_json(event)
    )
