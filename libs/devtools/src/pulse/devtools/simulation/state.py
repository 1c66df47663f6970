"""What an account's simulation remembers from day to day: its contract as it stands, open
tickets and invoices, contacts, and the daily record its renewal outcome is drawn from."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pulse.devtools.simulation.base import AccountProfile
from pulse.devtools.simulation.envelopes import EventLog
from pulse.devtools.simulation.outcomes import Outcome, PathSummary

#: The look-back windows of the path summary (days).
RECENT_DAYS = 28
QUARTER_DAYS = 90


@dataclass(slots=True)
class OpenTicket:
    """A ticket not yet resolved: the day it will be, and the rating it will get."""

    ticket_id: str
    resolve_day: int
    csat: int | None


@dataclass(slots=True)
class OpenInvoice:
    """An invoice not yet paid."""

    invoice_id: str
    amount: Decimal
    due_day: int
    pay_day: int | None  # None: not paid within the simulation


@dataclass(slots=True)
class DayRecord:
    """What the account did on one day, as far as its outcome cares."""

    active_users: int = 0
    nominal_active_users: float = 0.0  # what it would have been with no persona at work
    features: frozenset[str] = frozenset()
    tickets: int = 0
    urgent_tickets: int = 0
    outages: int = 0
    max_days_overdue: int = 0


@dataclass(frozen=True, slots=True)
class RecordedOutcome:
    """An outcome as the ground truth keeps it."""

    day: int
    renewal_date: date
    outcome: Outcome


@dataclass(slots=True)
class AccountState:
    """One account's simulation in progress."""

    profile: AccountProfile
    random: random.Random
    log: EventLog
    hidden_risk: float  # the part of churn risk no event shows
    arr: Decimal
    seats: int
    renewal_date: date
    churned: bool = False
    tickets: list[OpenTicket] = field(default_factory=list)
    invoices: list[OpenInvoice] = field(default_factory=list)
    contacts: dict[str, str] = field(default_factory=dict)  # role -> contact id
    sponsor_gone: bool = False
    corporate_event_day: int | None = None
    nps_latest: int | None = None
    next_id: int = 0
    days: list[DayRecord] = field(default_factory=list)
    outcomes: list[RecordedOutcome] = field(default_factory=list)

    def new_id(self, prefix: str) -> str:
        """A fresh id for a ticket, invoice or contact of this account."""
        self.next_id += 1
        return f"{prefix}-{self.profile.account_id}-{self.next_id}"

    def path_summary(self, today: int) -> PathSummary:
        """The record of the days before `today`, summed up for the outcome model."""
        recent = self.days[max(0, today - RECENT_DAYS) : today]
        quarter = self.days[max(0, today - QUARTER_DAYS) : today]
        nominal = sum(day.nominal_active_users for day in recent)
        features = frozenset().union(*(day.features for day in recent)) if recent else frozenset()
        corporate = self.corporate_event_day is not None and today - self.corporate_event_day < 365
        return PathSummary(
            usage_ratio=sum(day.active_users for day in recent) / nominal if nominal else 1.0,
            breadth_ratio=len(features) / len(self.profile.features) if recent else 1.0,
            urgent_tickets_90d=sum(day.urgent_tickets for day in quarter),
            tickets_90d=sum(day.tickets for day in quarter),
            max_days_overdue_90d=max((day.max_days_overdue for day in quarter), default=0),
            sponsor_gone=self.sponsor_gone,
            outages_90d=sum(day.outages for day in quarter),
            corporate_event=corporate,
            nps_latest=self.nps_latest,
        )
