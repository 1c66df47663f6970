"""Events the health integration tests post through ingest, and reading their results."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.devtools.testing.plugin import INGEST_KEY

from .conftest import HealthStack


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def profile(account: str, segment: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "account.updated",
        "account_id": account,
        "occurred_at": ago(days=5),
        "data": {"segment": segment, "licensed_seats": 10, **data},
    }


def usage(account: str, user: str, feature: str, **delta: float) -> dict[str, Any]:
    return {
        "type": "usage.activity",
        "account_id": account,
        "occurred_at": ago(**delta or {"hours": 1}),
        "data": {"user_id": user, "feature": feature},
    }


def ticket(
    account: str, ticket_id: str, priority: str, channel: str, **delta: float
) -> dict[str, Any]:
    return {
        "type": "support.ticket.opened",
        "account_id": account,
        "occurred_at": ago(**delta or {"hours": 2}),
        "data": {"ticket_id": ticket_id, "priority": priority, "channel": channel},
    }


def has_open_urgent(count: int) -> Callable[[dict[str, Any]], bool]:
    return lambda body: bool(values(body)["open_urgent_tickets"] == count)


async def send(stack: HealthStack, *events: dict[str, Any]) -> list[str]:
    """Post through ingest; the ids it accepted."""
    response = await stack.ingest.post("/v1/events", json=list(events), headers=INGEST_KEY)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["rejected"] == [], body
    ids: list[str] = body["ids"]
    return ids


def values(body: dict[str, Any]) -> dict[str, Any]:
    return {c["measure"]: c["value"] for c in body["components"]}
