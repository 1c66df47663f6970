"""Platform incidents: a few outages over the period, each reaching a few accounts.

Drawn from a stream of their own, so every account sees the same incidents; whether an
account is hit is drawn from the account's stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COMPONENTS = ("api", "web-app", "sync", "notifications", "reporting")
SEVERITIES = ("minor", "major", "critical")


@dataclass(frozen=True, slots=True)
class Incident:
    """One outage: when it starts (day and second of the day), how long, how bad."""

    incident_id: str
    day: int
    start_second: int
    duration_s: int
    severity: str
    component: str


def platform_incidents(seed: int, days: int) -> tuple[Incident, ...]:
    """About one platform incident a month, in day order."""
    r = random.Random(f"pulse-simulation/{seed}/platform")
    count = max(1, days // 30)
    return tuple(
        sorted(
            (_incident(r, f"inc-{seed}-{n + 1}", r.randrange(days)) for n in range(count)),
            key=lambda incident: (incident.day, incident.start_second),
        )
    )


def account_incident(r: random.Random, incident_id: str, day: int) -> Incident:
    """An incident only this account sees (its region, its integration)."""
    return _incident(r, incident_id, day, severities=(1, 3, 2))


def _incident(
    r: random.Random, incident_id: str, day: int, severities: tuple[int, int, int] = (5, 3, 1)
) -> Incident:
    return Incident(
        incident_id=incident_id,
        day=day,
        start_second=r.randrange(86_400 - 6 * 3600),
        duration_s=r.randint(10 * 60, 5 * 3600),
        severity=r.choices(SEVERITIES, severities)[0],
        component=r.choice(COMPONENTS),
    )
