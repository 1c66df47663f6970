"""Shared helpers of the rule unit tests: a fixed moment, event and score point factories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pulse.alerts.rules.score_points import ScorePoint
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


def make_point(at: datetime, score: float, band: str = "", *, message_id: str = "") -> ScorePoint:
    """A health score point at `at`; its band, unless given, is red under 40, yellow under
    70, else green; its id, unless given, follows from the moment (a replay is the same)."""
    if not band:
        band = "red" if score < 40 else "yellow" if score < 70 else "green"
    return ScorePoint(message_id or f"hs_{at.isoformat()}", at, score, band)
