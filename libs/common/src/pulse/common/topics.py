"""Topic names. Every name starts with the configured prefix so test runs and tenants never mix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Domain = Literal[
    "usage", "support", "outage", "billing", "relationship", "feedback", "marketing", "account"
]
DOMAINS: tuple[Domain, ...] = (
    "usage",
    "support",
    "outage",
    "billing",
    "relationship",
    "feedback",
    "marketing",
    "account",
)

#: Which domain topic each event type is produced to (design §3).
DOMAIN_OF_TYPE: dict[str, Domain] = {
    "usage.activity": "usage",
    "metric.recorded": "usage",
    "support.ticket.opened": "support",
    "support.ticket.resolved": "support",
    "outage.started": "outage",
    "outage.resolved": "outage",
    "invoice.issued": "billing",
    "invoice.paid": "billing",
    "invoice.overdue": "billing",
    "contact.changed": "relationship",
    "engagement.touchpoint": "relationship",
    "survey.response": "feedback",
    "marketing.engagement": "marketing",
    "account.signal": "account",
    "account.updated": "account",
    "contract.changed": "account",
}


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names under one prefix."""

    prefix: str = "pulse"

    def events(self, domain: Domain) -> str:
        """The topic of one event domain, e.g. `pulse.events.usage`."""
        return f"{self.prefix}.events.{domain}"

    def for_event_type(self, event_type: str) -> str:
        """The domain topic an event type goes to; KeyError for an unknown type."""
        return self.events(DOMAIN_OF_TYPE[event_type])

    @property
    def all_events(self) -> tuple[str, ...]:
        """Every domain event topic."""
        return tuple(self.events(d) for d in DOMAINS)

    @property
    def health_scores(self) -> str:
        """Score changes published by health."""
        return f"{self.prefix}.health.scores"

    @property
    def renewals_at_risk(self) -> str:
        """`renewal.at_risk` messages published by renewals: an account entered at risk
        with its renewal within the horizon."""
        return f"{self.prefix}.renewals.at_risk"

    @property
    def health_commands(self) -> str:
        """Changes people make over health's API (CSM sentiment), keyed by account like the
        events, so the process that owns an account applies them in order with its events."""
        return f"{self.prefix}.health.commands"

    @property
    def dlq(self) -> str:
        """Dead letters: messages no consumer could decode or validate."""
        return f"{self.prefix}.dlq"

    @property
    def all(self) -> tuple[str, ...]:
        """Every topic Pulse creates at start."""
        return (
            *self.all_events,
            self.health_commands,
            self.health_scores,
            self.renewals_at_risk,
            self.dlq,
        )
