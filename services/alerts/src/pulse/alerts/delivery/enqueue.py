"""Adding messages to the webhook outbox inside the caller's transaction.

The caller (the alert engine) commits; until then nothing is visible to the dispatcher, so a
rolled-back alert sends nothing. Each message is fanned out to the enabled subscriptions
that want it in the same statement sequence: a message exists with all its deliveries or
not at all, and a replayed `key` adds neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.delivery.payloads import EVENT_TYPES, SubscriptionFilter, message_body
from pulse.alerts.delivery.tables import deliveries, subscriptions
from pulse.alerts.delivery.tables import messages as message_table
from pulse.alerts.webhooks.message_ids import message_id
from pulse.common.db.bulk import bulk_insert


@dataclass(frozen=True, slots=True)
class WebhookMessage:
    """One message for the subscriptions of its type."""

    #: Stable: the same key is one message (a replay adds nothing); say, the alert event's id.
    key: str
    #: One of `payloads.EVENT_TYPES`.
    type: str
    account_id: str
    segment: str | None
    occurred_at: datetime
    #: JSON-able; sent as the body's `data`.
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message just added to the outbox, with what fan-out needs."""

    id: int
    key: str
    account_id: str | None


async def enqueue(session: AsyncSession, messages: Sequence[WebhookMessage]) -> None:
    """Add `messages` and their deliveries in the caller's transaction (no commit).

    Idempotent on `key`. Call the dispatcher's `wake()` after the commit to send at once.
    """
    unknown = sorted({m.type for m in messages} - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown webhook message types {unknown}; known: {list(EVENT_TYPES)}")
    wanted: dict[str, WebhookMessage] = {}
    for m in messages:
        wanted.setdefault(m.key, m)
    rows = [
        (m.key, m.type, m.account_id, m.segment, message_body(m.type, m.occurred_at, m.data))
        for m in wanted.values()
    ]
    stored = await add_messages(session, rows)
    if not stored:
        return
    filters = await enabled_subscription_filters(session)
    fan_out = [
        (message, subscription_id)
        for message in stored
        for subscription_id, sub_filter in filters.items()
        if sub_filter.wants(
            wanted[message.key].type, wanted[message.key].account_id, wanted[message.key].segment
        )
    ]
    await add_deliveries(session, fan_out)


MessageRow = tuple[str, str, str | None, str | None, bytes]


async def add_messages(session: AsyncSession, rows: Sequence[MessageRow]) -> list[StoredMessage]:
    """Insert `(key, type, account_id, segment, body)` rows; those whose key was new."""
    if not rows:
        return []
    keys, types, accounts, segments, bodies = (list(column) for column in zip(*rows, strict=True))
    result = await session.execute(
        _ADD_MESSAGES,
        {"key": keys, "type": types, "account_id": accounts, "segment": segments, "body": bodies},
    )
    stored = [StoredMessage(id_, key, account_id) for id_, key, account_id in result.all()]
    return sorted(stored, key=lambda message: message.id)


async def enabled_subscription_filters(session: AsyncSession) -> dict[str, SubscriptionFilter]:
    """The filters of every enabled subscription, by id, in id order."""
    s = subscriptions
    result = await session.execute(
        select(s.c.id, s.c.event_types, s.c.account_ids, s.c.segments)
        .where(s.c.enabled)
        .order_by(s.c.id)
    )
    return {row.id: SubscriptionFilter(row[1], row[2], row[3]) for row in result}


async def add_deliveries(
    session: AsyncSession, fan_out: Sequence[tuple[StoredMessage, str]]
) -> None:
    """One pending delivery per `(message, subscription_id)`, due now."""
    if not fan_out:
        return
    await session.execute(
        _ADD_DELIVERIES,
        {
            "message_id": [message.id for message, _ in fan_out],
            "subscription_id": [sub for _, sub in fan_out],
            "webhook_id": [message_id(sub, message.key) for message, sub in fan_out],
            "account_id": [message.account_id for message, _ in fan_out],
            "state": ["pending"] * len(fan_out),
        },
    )


_ADD_MESSAGES = bulk_insert(
    message_table.name,
    {"key": "text", "type": "text", "account_id": "text", "segment": "text", "body": "bytea"},
    conflict=["key"],
    ordered=True,
)
_ADD_MESSAGES = text(_ADD_MESSAGES.text + " RETURNING id, key, account_id")
# In array order, so the delivery ids (and with them an ordered subscription's sequence)
# follow the messages' order.
_ADD_DELIVERIES = bulk_insert(
    deliveries.name,
    {
        "message_id": "bigint",
        "subscription_id": "text",
        "webhook_id": "text",
        "account_id": "text",
        "state": "text",
    },
    conflict=["message_id", "subscription_id"],
    ordered=True,
)
