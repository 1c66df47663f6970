"""Shared helpers of the rule unit tests: a fixed moment and an event factory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pulse.common.events import Event, validate_event

#: The moment tests evaluate at (event time; no test reads the clock).
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def make_event(
    event_type: str, at: datetime, /, *, event_id: str = "", account: str = "acme", **data: Any
) -> Event:
    """A validated event of `account` that occurred at `at`."""
    raw: dict[str, Any] = {
        "type": event_type,
        "account_id": account,
        "occurred_at": at.isoformat(),
        "data": data,
    }
    if event_id:
        raw["id"] = event_id
    return validate_event(raw, now=at)
