"""Raw event envelopes as ingest's `/v1/events` takes them (JSON-ready dicts).

Each event gets an explicit id (`sim-<seed>-<account>-<n>`): two identical usage events
stay two events, and resending a run is idempotent.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

RawEvent = dict[str, Any]
SOURCE = "pulse-simulate"


def moment_of(day: date, seconds: int) -> datetime:
    """`seconds` after 00:00 UTC of `day`."""
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def rfc3339(moment: datetime) -> str:
    """`2026-11-20T10:00:00Z` (whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(day: date, seconds: int) -> str:
    """`rfc3339(moment_of(day, seconds))`, without building a datetime: most events of a
    run go through here."""
    if not 0 <= seconds < 86_400:
        return rfc3339(moment_of(day, seconds))
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}Z"


def money(amount: Decimal) -> str:
    """Two decimal places, as a string: money never goes through a float."""
    return str(amount.quantize(Decimal("0.01")))


class EventLog:
    """Builds one account's events of one day, numbering them across the whole run."""

    def __init__(self, seed: int, account_id: str) -> None:
        self.seed = seed
        self.account_id = account_id
        self.count = 0
        self.events: list[RawEvent] = []

    def emit(self, kind: str, at: str, data: dict[str, Any]) -> None:
        """Append one event of `kind` that occurred `at` (RFC 3339, see `stamp`)."""
        self.count += 1
        self.events.append(
            {
                "id": f"sim-{self.seed}-{self.account_id}-{self.count}",
                "type": kind,
                "account_id": self.account_id,
                "occurred_at": at,
                "source": SOURCE,
                "data": data,
            }
        )

    def take(self) -> list[RawEvent]:
        """The events emitted since the last call, in the order they were emitted."""
        events, self.events = self.events, []
        return events


def working_hours(r: random.Random, day: date) -> str:
    """A moment between 08:00 and 19:00 UTC of `day`."""
    return stamp(day, 8 * 3600 + int(r.random() * 11 * 3600))


def poisson(r: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(r.gauss(mean, mean**0.5)))
    limit, k, product = math.exp(-mean), 0, r.random()
    while product > limit:
        k += 1
        product *= r.random()
    return k
