"""The delivery log and sending again, for the API: a subscription's deliveries with their
attempts, a redelivery by hand, and recovering what was given up. Like `management`, the
functions raise domain errors and never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.delivery.endpoint_health import lock_subscription
from pulse.alerts.delivery.management import get_subscription, no_subscription
from pulse.alerts.delivery.tables import attempts, deliveries, messages
from pulse.common.errors import NotFoundError, PulseError


class DeliveryInFlight(PulseError):
    """An attempt of the delivery is being made; it cannot be redelivered now (409)."""

    status_code = 409
    code = "delivery_in_flight"


class SubscriptionDisabled(PulseError):
    """Recovery of a disabled subscription (409): re-enable it first."""

    status_code = 409
    code = "subscription_disabled"


async def list_deliveries(
    session: AsyncSession,
    subscription_id: str,
    *,
    state: str | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The subscription's deliveries, newest first, each with its attempts (newest first)."""
    await get_subscription(session, subscription_id)
    d, m = deliveries, messages
    query = (
        select(
            d.c.id,
            d.c.webhook_id,
            m.c.type.label("message_type"),
            d.c.account_id,
            d.c.state,
            d.c.attempts,
            d.c.next_attempt_at,
            d.c.first_attempt_at,
            d.c.last_attempt_at,
            d.c.delivered_at,
            d.c.created_at,
        )
        .join(m, m.c.id == d.c.message_id)
        .where(d.c.subscription_id == subscription_id)
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(d.c.state == state)
    if before_id is not None:
        query = query.where(d.c.id < before_id)
    found = [dict(row._mapping) for row in await session.execute(query)]
    log = await _attempt_log(session, [row["id"] for row in found])
    for row in found:
        if row["state"] != "pending":
            row["next_attempt_at"] = None
        row["attempt_log"] = log.get(row["id"], [])
    return found


async def _attempt_log(
    session: AsyncSession, delivery_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    if not delivery_ids:
        return {}
    a = attempts
    rows = await session.execute(
        select(a.c.delivery_id, a.c.number, a.c.at, a.c.status, a.c.error, a.c.latency_s)
        .add_columns(a.c.response_body)
        .where(a.c.delivery_id.in_(delivery_ids))
        .order_by(a.c.delivery_id, a.c.id.desc())
    )
    log: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        entry = dict(row._mapping)
        log.setdefault(entry.pop("delivery_id"), []).append(entry)
    return log


async def redeliver(session: AsyncSession, delivery_id: int, now: datetime) -> dict[str, Any]:
    """Attempt the delivery again now, with its `webhook-id`.

    A pending one is simply due now (its schedule goes on). A delivered or given-up one gets
    one attempt outside the schedule, even when its subscription is disabled (the way to
    check a fixed endpoint before re-enabling it); the subscription stays disabled.
    """
    d = deliveries
    row = (
        await session.execute(
            select(d.c.state, d.c.subscription_id).where(d.c.id == delivery_id).with_for_update()
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no webhook delivery {delivery_id}")
    if row.state == "delivering":
        raise DeliveryInFlight(f"delivery {delivery_id} is being attempted now; retry later")
    single = row.state != "pending"
    await session.execute(
        update(d)
        .where(d.c.id == delivery_id)
        .values(state="pending", next_attempt_at=now, single_attempt=single)
    )
    return {"id": delivery_id, "state": "pending", "single_attempt": single}


async def recover(
    session: AsyncSession, subscription_id: str, since: datetime, now: datetime
) -> int:
    """Send every given-up delivery created since `since` once more; how many."""
    locked = await lock_subscription(session, subscription_id)
    if locked is None:
        raise no_subscription(subscription_id)
    if not locked.enabled:
        raise SubscriptionDisabled(
            f"subscription {subscription_id} is disabled: re-enable it first "
            "(PATCH with enabled: true), or redeliver single deliveries"
        )
    d = deliveries
    result = await session.execute(
        update(d)
        .where(d.c.subscription_id == subscription_id, d.c.state == "failed")
        .where(d.c.created_at >= since)
        .values(state="pending", next_attempt_at=now, single_attempt=True)
        .returning(d.c.id)
    )
    return len(result.all())
