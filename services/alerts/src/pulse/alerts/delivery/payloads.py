"""What a webhook says: the message types, the body sent, and which subscriptions want a
message. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

#: Types subscriptions choose from.
EVENT_TYPES: tuple[str, ...] = (
    "alert.opened",
    "alert.updated",
    "alert.resolved",
    "health.band_changed",
    "renewal.at_risk",
)
#: Sent to the other subscriptions of a failing one's event types when it is warned about
#: or disabled; no subscription chooses it.
ENDPOINT_FAILING = "webhook.endpoint_failing"


def message_body(message_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> bytes:
    """`{"type", "timestamp" (ISO 8601, UTC, Z), "data"}`, the bytes every attempt signs."""
    if occurred_at.tzinfo is None:
        raise ValueError("a message's occurred_at needs a time zone")
    body = {"type": message_type, "timestamp": occurred_at.astimezone(UTC), "data": data}
    return orjson.dumps(body, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    """What a subscription asked for; None filters let everything through."""

    event_types: Sequence[str]
    account_ids: Sequence[str] | None
    segments: Sequence[str] | None

    def wants(self, message_type: str, account_id: str, segment: str | None) -> bool:
        """Whether a message of this type, account and segment goes to the subscription."""
        if message_type not in self.event_types:
            return False
        if self.account_ids is not None and account_id not in self.account_ids:
            return False
        return self.segments is None or segment in self.segments


@dataclass(frozen=True, slots=True)
class FailingEndpoint:
    """A subscription whose endpoint keeps failing, at the moment it is warned or disabled."""

    subscription_id: str
    url: str
    #: "warned" (it will be disabled) or "disabled"
    state: str
    reason: str
    failing_since: datetime | None


def endpoint_failing_key(endpoint: FailingEndpoint) -> str:
    """One warning per subscription, state and streak: a replay sends nothing new."""
    since = endpoint.failing_since.isoformat() if endpoint.failing_since else "-"
    return f"{ENDPOINT_FAILING}:{endpoint.subscription_id}:{endpoint.state}:{since}"


def endpoint_failing_body(endpoint: FailingEndpoint, now: datetime) -> bytes:
    """The body of the warning about `endpoint`."""
    data = {
        "subscription_id": endpoint.subscription_id,
        "url": endpoint.url,
        "state": endpoint.state,
        "reason": endpoint.reason,
        "failing_since": endpoint.failing_since,
    }
    return message_body(ENDPOINT_FAILING, now, data)
