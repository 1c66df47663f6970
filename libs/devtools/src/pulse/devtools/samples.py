"""Realistic raw events of every kind, for tests, benchmarks and demos.

Deterministic for a given seed: `SampleEvents(seed=7).mixed(500)` is always the same
batch (apart from timestamps, which are relative to `now`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

#: How often each kind appears in a mixed stream: mostly usage, like real traffic.
MIX: tuple[tuple[str, int], ...] = (
    ("usage.activity", 70),
    ("metric.recorded", 5),
    ("support.ticket.opened", 6),
    ("support.ticket.resolved", 5),
    ("invoice.issued", 2),
    ("invoice.paid", 2),
    ("invoice.overdue", 1),
    ("engagement.touchpoint", 2),
    ("survey.response", 2),
    ("marketing.engagement", 2),
    ("contact.changed", 1),
    ("account.signal", 1),
    ("account.updated", 1),
)
FEATURES = ("reports", "dashboards", "export", "alerts", "api", "sso", "billing", "search")


def rfc3339(moment: datetime) -> str:
    """`2026-11-20T10:00:00.123000Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class SampleEvents:
    """A generator of raw envelopes over `accounts` accounts (`acct-00000` ...)."""

    def __init__(self, seed: int = 1, accounts: int = 1000, now: datetime | None = None) -> None:
        self.random = random.Random(seed)
        self.accounts = [f"acct-{n:05d}" for n in range(accounts)]
        self.now = now or datetime.now(UTC)
        self._kinds = [kind for kind, _ in MIX]
        self._weights = [weight for _, weight in MIX]
        self._counter = 0

    def mixed(self, count: int) -> list[dict[str, Any]]:
        """`count` events of mixed kinds, as MIX weighs them."""
        kinds = self.random.choices(self._kinds, self._weights, k=count)
        return [self.event(kind) for kind in kinds]

    def event(self, kind: str, account_id: str | None = None) -> dict[str, Any]:
        """One valid raw event of `kind`."""
        self._counter += 1
        account = account_id or self.random.choice(self.accounts)
        occurred = self.now - timedelta(seconds=self.random.randint(1, 3600))
        return {
            "type": kind,
            "account_id": account,
            "occurred_at": rfc3339(occurred),
            "source": "sample",
            "data": self._data(kind),
        }

    def _data(self, kind: str) -> dict[str, Any]:  # noqa: C901 - one case per event kind
        r, n = self.random, self._counter
        match kind:
            case "usage.activity":
                return {"user_id": f"user-{r.randint(1, 50)}", "feature": r.choice(FEATURES)}
            case "metric.recorded":
                return {"name": "api_calls", "value": r.randint(0, 10_000)}
            case "support.ticket.opened":
                return {
                    "ticket_id": f"t-{n}",
                    "priority": r.choice(["low", "normal", "high", "urgent"]),
                    "channel": r.choice(["phone", "email", "chat", "web"]),
                }
            case "support.ticket.resolved":
                return {"ticket_id": f"t-{n}", "csat": r.randint(1, 5)}
            case "invoice.issued":
                return {
                    "invoice_id": f"in-{n}",
                    "amount": f"{r.randint(100, 90_000)}.{r.randint(0, 99):02d}",
                    "currency": r.choice(["EUR", "USD", "GBP"]),
                    "due_at": rfc3339(self.now + timedelta(days=30)),
                }
            case "invoice.paid":
                return {"invoice_id": f"in-{n}"}
            case "invoice.overdue":
                return {"invoice_id": f"in-{n}", "days_overdue": r.randint(1, 90)}
            case "engagement.touchpoint":
                return {
                    "kind": r.choice(["qbr", "meeting", "call"]),
                    "with_executive": r.random() < 0.3,
                }
            case "survey.response":
                return {"kind": "nps", "score": r.randint(0, 10), "comment": "fine"}
            case "marketing.engagement":
                return {"kind": r.choice(["email_open", "email_click", "bounce", "opt_out"])}
            case "contact.changed":
                return {
                    "contact_id": f"c-{n}",
                    "role": r.choice(["sponsor", "champion", "user"]),
                    "change": r.choice(["joined", "left"]),
                }
            case "account.signal":
                return {"kind": r.choice(["merger", "referral_willing"]), "note": "from CRM"}
            case "account.updated":
                return {
                    "segment": r.choice(["high_touch", "low_touch", "tech_touch"]),
                    "arr": str(r.randint(10_000, 900_000)),
                    "currency": "EUR",
                    "licensed_seats": r.randint(5, 500),
                }
        raise ValueError(f"no sample for event type {kind!r}")
