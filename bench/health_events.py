"""Coherent, realistic event streams for the health benchmarks.

Unlike `pulse.devtools.samples` (independent events), these tell each account's story:
tickets opened are later resolved, invoices issued are later paid or fall overdue,
outages start and resolve over a set of accounts, `account.updated` sets the segment,
ARR and licensed seats that usage ratios read. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.common.events import event_to_json, validate_event
from pulse.common.topics import Topics
from pulse.devtools.samples import rfc3339

FEATURES = (
    "reports", "dashboards", "export", "alerts", "api", "sso",
    "billing", "search", "integrations", "workflows", "admin", "mobile",
)  # fmt: skip
FEATURE_WEIGHTS = (20, 25, 8, 10, 12, 3, 2, 10, 4, 4, 1, 1)
PRIORITIES = (("low", 30), ("normal", 45), ("high", 18), ("urgent", 7))
CHANNELS = (("email", 45), ("web", 25), ("chat", 20), ("phone", 10))
#: Segments: (share of accounts, licensed seats range, ARR range in EUR).
SEGMENTS = {
    "tech_touch": (70, (5, 50), (5_000, 50_000)),
    "low_touch": (25, (50, 300), (50_000, 500_000)),
    "high_touch": (5, (300, 1500), (500_000, 3_000_000)),
}
#: The throughput stream's mix: mostly usage, like real traffic.
MIX: tuple[tuple[str, float], ...] = (
    ("usage.activity", 80),
    ("metric.recorded", 3),
    ("support.ticket.opened", 4),
    ("support.ticket.resolved", 3.5),
    ("outage.started", 0.6),
    ("outage.resolved", 0.5),
    ("invoice.issued", 1.5),
    ("invoice.paid", 1.2),
    ("invoice.overdue", 0.3),
    ("account.updated", 1),
    ("survey.response", 1),
    ("engagement.touchpoint", 1),
    ("contact.changed", 0.5),
    ("marketing.engagement", 1),
    ("account.signal", 0.2),
    ("contract.changed", 0.2),
)
#: One usage event per active user and day at most this many per account (a daily
#: roll-up with a quantity); the state's size depends on distinct users and days, not on
#: how many events told it.
MAX_USAGE_EVENTS_PER_DAY = 30

Raw = dict[str, Any]
Message = tuple[str, bytes, bytes]  # topic, key, value


@dataclass(slots=True)
class Account:
    """One simulated customer and what is open for it."""

    account_id: str
    segment: str
    seats: int
    users: int
    arr: int
    activity: float  # share of users active on a weekday
    billing_day: int
    owner: str
    open_tickets: list[str] = field(default_factory=list)
    open_invoices: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass(slots=True)
class Incident:
    """An outage and the accounts it still affects."""

    incident_id: str
    severity: str
    component: str
    affected: list[Account] = field(default_factory=list)


class Storyteller:
    """Raw events over `count` accounts named `<prefix>-00000` ..."""

    def __init__(self, seed: int, count: int, prefix: str = "acct") -> None:
        self.random = random.Random(seed)
        self.accounts = [self._account(f"{prefix}-{n:05d}") for n in range(count)]
        self._counter = 0
        self._incidents: list[Incident] = []
        self._ticketed: deque[Account] = deque()  # one entry per ticket opened
        self._invoiced: deque[Account] = deque()  # one entry per invoice issued
        self._kinds = [k for k, _ in MIX]
        self._weights = [w for _, w in MIX]
        self._makers: dict[str, Callable[[Account, datetime], Raw | None]] = {
            "usage.activity": self.usage,
            "metric.recorded": self.metric,
            "support.ticket.opened": self.ticket_opened,
            "support.ticket.resolved": self.ticket_resolved,
            "outage.started": self.outage_started,
            "outage.resolved": self.outage_resolved,
            "invoice.issued": self.invoice_issued,
            "invoice.paid": self.invoice_paid,
            "invoice.overdue": self.overdue_notice,
            "account.updated": self.account_updated,
            "survey.response": self.survey,
            "engagement.touchpoint": self.touchpoint,
            "contact.changed": self.contact_changed,
            "marketing.engagement": self.marketing,
            "account.signal": self.signal,
            "contract.changed": self.contract_changed,
        }

    def _account(self, account_id: str) -> Account:
        r = self.random
        segment = r.choices(list(SEGMENTS), [s[0] for s in SEGMENTS.values()])[0]
        _, (low_seats, high_seats), (low_arr, high_arr) = SEGMENTS[segment]
        seats = r.randint(low_seats, high_seats)
        return Account(
            account_id=account_id,
            segment=segment,
            seats=seats,
            users=max(1, round(seats * r.uniform(0.4, 1.1))),
            arr=r.randint(low_arr, high_arr),
            activity=r.uniform(0.1, 0.6),
            billing_day=r.randint(1, 28),
            owner=f"csm-{r.randint(1, 40)}",
        )

    # -- streams -----------------------------------------------------------------------

    def mixed(self, count: int, start: datetime, end: datetime) -> list[Raw]:
        """`count` events of mixed kinds (MIX) on random accounts, in time order."""
        step = (end - start) / max(count, 1)
        kinds = self.random.choices(self._kinds, self._weights, k=count)
        events: list[Raw] = []
        for n, kind in enumerate(kinds):
            account = self._pick(kind)
            at = start + step * n
            events.append(self._makers[kind](account, at) or self.usage(account, at))
        return events

    def _pick(self, kind: str) -> Account:
        """A random account; for a resolution or a payment, the one waiting longest."""
        waiting = {"support.ticket.resolved": self._ticketed, "invoice.paid": self._invoiced}
        queue = waiting.get(kind)
        while queue:
            account = queue.popleft()
            if account.open_tickets if queue is self._ticketed else account.open_invoices:
                return account
        return self.random.choice(self.accounts)

    def day(self, midnight: datetime) -> list[Raw]:
        """Every account's events of one UTC day starting at `midnight`, in time order."""
        weekday = midnight.weekday() < 5
        events: list[Raw] = []
        for account in self.accounts:
            events.extend(self._account_day(account, midnight, weekday))
        events.extend(self._outage_day(midnight))
        events.sort(key=lambda e: e["occurred_at"])
        return events

    def _account_day(self, account: Account, midnight: datetime, weekday: bool) -> Iterator[Raw]:
        r = self.random

        def at() -> datetime:
            return midnight + timedelta(seconds=r.randint(6 * 3600, 22 * 3600))

        active = account.users * account.activity * (1.0 if weekday else 0.15)
        for _ in range(min(MAX_USAGE_EVENTS_PER_DAY, round(active * r.uniform(0.6, 1.4)))):
            yield self.usage(account, at())
        chances: tuple[tuple[float, Callable[[Account, datetime], Raw | None]], ...] = (
            (0.5, self.metric),
            (0.03 + account.seats / 3000, self.ticket_opened),
            (0.35 * len(account.open_tickets), self.ticket_resolved),
            (0.02, self.survey),
            (_touchpoint_rate(account.segment), self.touchpoint),
            (0.01, self.contact_changed),
            (0.2, self.marketing),
            (0.003, self.signal),
            (0.002, self.contract_changed),
            (0.01, self.account_updated),
            (0.08 * len(account.open_invoices), self.invoice_paid),
            (0.02 * len(account.open_invoices), self.invoice_overdue),
        )
        for chance, make in chances:
            if r.random() < chance:
                event = make(account, at())
                if event is not None:
                    yield event
        if midnight.day == account.billing_day:
            yield self.invoice_issued(account, at())

    def _outage_day(self, midnight: datetime) -> Iterator[Raw]:
        """About one incident a week, hitting 2-20% of accounts for a few hours."""
        r = self.random
        if r.random() >= 1 / 7:
            return
        started = midnight + timedelta(seconds=r.randint(0, 18 * 3600))
        resolved = started + timedelta(seconds=r.randint(600, 4 * 3600))
        self._counter += 1
        incident = Incident(f"inc-{self._counter}", _severity(r), r.choice(FEATURES))
        hit = r.sample(self.accounts, max(1, round(len(self.accounts) * r.uniform(0.02, 0.2))))
        for account in hit:
            yield self._outage("outage.started", incident, account, started)
            yield self._outage("outage.resolved", incident, account, resolved)

    # -- one event of each kind -------------------------------------------------------

    def _raw(self, kind: str, account: Account, at: datetime, data: Raw) -> Raw:
        return {
            "type": kind,
            "account_id": account.account_id,
            "occurred_at": rfc3339(at),
            "source": "bench",
            "data": data,
        }

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def usage(self, account: Account, at: datetime) -> Raw:
        """A user's activity; some users are far busier than others (Pareto-ish)."""
        r = self.random
        user = min(account.users - 1, int(account.users * r.random() ** 1.5))
        feature = r.choices(FEATURES, FEATURE_WEIGHTS)[0]
        data = {"user_id": f"u{user}", "feature": feature, "quantity": r.randint(1, 40)}
        return self._raw("usage.activity", account, at, data)

    def metric(self, account: Account, at: datetime) -> Raw:
        """API calls of the day."""
        value = self.random.randint(0, account.seats * 400)
        return self._raw("metric.recorded", account, at, {"name": "api_calls", "value": value})

    def ticket_opened(self, account: Account, at: datetime) -> Raw:
        """A ticket, remembered until it is resolved."""
        r = self.random
        ticket = self._next_id("t")
        account.open_tickets.append(ticket)
        self._ticketed.append(account)
        data = {
            "ticket_id": ticket,
            "priority": r.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0],
            "channel": r.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0],
        }
        return self._raw("support.ticket.opened", account, at, data)

    def ticket_resolved(self, account: Account, at: datetime) -> Raw | None:
        """An open ticket resolved, often rated."""
        if not account.open_tickets:
            return None
        r = self.random
        ticket = account.open_tickets.pop(r.randrange(len(account.open_tickets)))
        data: Raw = {"ticket_id": ticket}
        if r.random() < 0.4:
            data["csat"] = r.choices([1, 2, 3, 4, 5], [5, 5, 15, 35, 40])[0]
        return self._raw("support.ticket.resolved", account, at, data)

    def outage_started(self, account: Account, at: datetime) -> Raw:
        """The account joins a current incident (or a new one)."""
        r = self.random
        if not self._incidents or r.random() < 0.05:
            incident = Incident(self._next_id("inc"), _severity(r), r.choice(FEATURES))
            self._incidents.append(incident)
        incident = self._incidents[-1]
        incident.affected.append(account)
        return self._outage("outage.started", incident, account, at)

    def outage_resolved(self, _: Account, at: datetime) -> Raw | None:
        """An account of the oldest incident is back."""
        while self._incidents and not self._incidents[0].affected:
            self._incidents.pop(0)
        if not self._incidents:
            return None
        incident = self._incidents[0]
        return self._outage("outage.resolved", incident, incident.affected.pop(), at)

    def _outage(self, kind: str, incident: Incident, account: Account, at: datetime) -> Raw:
        data = {
            "incident_id": incident.incident_id,
            "severity": incident.severity,
            "component": incident.component,
        }
        return self._raw(kind, account, at, data)

    def invoice_issued(self, account: Account, at: datetime) -> Raw:
        """The monthly invoice, due in 30 days."""
        invoice = self._next_id("in")
        due = at + timedelta(days=30)
        account.open_invoices.append((invoice, due))
        self._invoiced.append(account)
        amount = f"{account.arr / 12:.2f}"
        data = {"invoice_id": invoice, "amount": amount, "currency": "EUR", "due_at": rfc3339(due)}
        return self._raw("invoice.issued", account, at, data)

    def invoice_paid(self, account: Account, at: datetime) -> Raw | None:
        """The oldest open invoice is paid."""
        if not account.open_invoices:
            return None
        invoice, _ = account.open_invoices.pop(0)
        return self._raw("invoice.paid", account, at, {"invoice_id": invoice})

    def invoice_overdue(self, account: Account, at: datetime) -> Raw | None:
        """The oldest open invoice, when past due, is reported overdue."""
        if not account.open_invoices or account.open_invoices[0][1] >= at:
            return None
        invoice, due = account.open_invoices[0]
        days = (at - due).days + 1
        return self._raw(
            "invoice.overdue", account, at, {"invoice_id": invoice, "days_overdue": days}
        )

    def overdue_notice(self, account: Account, at: datetime) -> Raw:
        """Overdue: an open invoice past due, else one issued before the stream began."""
        known = self.invoice_overdue(account, at)
        if known is not None:
            return known
        r = self.random
        data = {
            "invoice_id": self._next_id("in"),
            "days_overdue": r.randint(1, 60),
            "amount": f"{account.arr / 12:.2f}",
            "currency": "EUR",
        }
        return self._raw("invoice.overdue", account, at, data)

    def account_updated(self, account: Account, at: datetime) -> Raw:
        """The CRM's view: segment, ARR, seats, owner (seats drift a little)."""
        r = self.random
        account.seats = max(1, account.seats + r.randint(-2, 3))
        data = {
            "segment": account.segment,
            "arr": str(account.arr),
            "currency": "EUR",
            "licensed_seats": account.seats,
            "owner": account.owner,
            "plan": account.segment.replace("_touch", ""),
        }
        return self._raw("account.updated", account, at, data)

    def survey(self, account: Account, at: datetime) -> Raw:
        """NPS mostly, some CSAT and CES, each in its range."""
        r = self.random
        kind = r.choices(["nps", "csat", "ces"], [6, 3, 1])[0]
        score = {"nps": r.randint(0, 10), "csat": r.randint(1, 5), "ces": r.randint(1, 7)}[kind]
        return self._raw("survey.response", account, at, {"kind": kind, "score": score})

    def touchpoint(self, account: Account, at: datetime) -> Raw:
        """A meeting, call, QBR ... sometimes with an executive."""
        r = self.random
        kind = r.choices(
            ["call", "meeting", "email", "qbr", "ebr", "training"], [30, 25, 25, 8, 2, 10]
        )[0]
        data = {"kind": kind, "with_executive": r.random() < 0.2}
        return self._raw("engagement.touchpoint", account, at, data)

    def contact_changed(self, account: Account, at: datetime) -> Raw:
        """A contact joined or left."""
        r = self.random
        data = {
            "contact_id": self._next_id("c"),
            "role": r.choices(
                ["user", "power_user", "admin", "champion", "sponsor"], [50, 20, 15, 10, 5]
            )[0],
            "change": r.choice(["joined", "left"]),
        }
        return self._raw("contact.changed", account, at, data)

    def marketing(self, account: Account, at: datetime) -> Raw:
        """Email opens and clicks, the odd bounce."""
        kinds = ["email_open", "email_click", "bounce", "opt_out", "event_attended"]
        kind = self.random.choices(kinds, [60, 25, 6, 2, 7])[0]
        return self._raw("marketing.engagement", account, at, {"kind": kind})

    def signal(self, account: Account, at: datetime) -> Raw:
        """Something the CRM noticed."""
        kinds = ["referral_willing", "case_study_willing", "executive_sponsor_meeting", "merger"]
        kind = self.random.choice(kinds)
        return self._raw("account.signal", account, at, {"kind": kind, "note": "from CRM"})

    def contract_changed(self, account: Account, at: datetime) -> Raw:
        """An expansion or contraction moves the ARR."""
        r = self.random
        before = account.arr
        change = r.choice(["expansion", "contraction", "renewal"])
        factor = {"expansion": 1.2, "contraction": 0.85, "renewal": 1.0}[change]
        account.arr = round(before * factor)
        data = {
            "change": change,
            "arr_after": str(account.arr),
            "arr_before": str(before),
            "effective_at": rfc3339(at),
        }
        return self._raw("contract.changed", account, at, data)


def _touchpoint_rate(segment: str) -> float:
    return {"high_touch": 0.3, "low_touch": 0.08, "tech_touch": 0.01}[segment]


def _severity(r: random.Random) -> str:
    return r.choices(["minor", "major", "critical"], [70, 25, 5])[0]


def to_messages(events: list[Raw], topics: Topics, now: datetime | None = None) -> list[Message]:
    """Validated, normalised events as ingest produces them: topic, key and JSON value."""
    messages: list[Message] = []
    for raw in events:
        event = validate_event(raw, now=now or datetime.now(UTC))
        messages.append(
            (topics.for_event_type(event.type), event.account_id.encode(), event_to_json(event))
        )
    return messages
