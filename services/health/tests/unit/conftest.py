"""Shared fixtures of the scoring unit tests: a fixed clock and an event factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from pulse.common.events import Event, validate_event

#: The moment the tests score at (event time; no test reads the clock).
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def make_event(event_type: str, at: datetime, /, **data: Any) -> Event:
    """A validated event of account `acme` that occurred at `at`."""
    raw = {"type": event_type, "account_id": "acme", "occurred_at": at.isoformat(), "data": data}
    return validate_event(raw, now=at)


@pytest.fixture(scope="session")
def event() -> Callable[..., Event]:
    """`event("usage.activity", at, user_id="u1")`: a validated event."""
    return make_event


@pytest.fixture(scope="session")
def now() -> datetime:
    """The moment tests score at: 2026-11-20 12:00 UTC."""
    return NOW
