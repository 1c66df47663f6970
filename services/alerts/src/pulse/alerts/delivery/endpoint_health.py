"""A subscription's failure streak, and disabling it: the SQL around
`webhooks.disable_policy`.

Callers lock the subscription row first (`lock_subscription`), then touch its deliveries:
one lock order everywhere, so recording outcomes and the API never deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.delivery.enqueue import StoredMessage, add_deliveries, add_messages
from pulse.alerts.delivery.payloads import (
    ENDPOINT_FAILING,
    FailingEndpoint,
    endpoint_failing_body,
    endpoint_failing_key,
)
from pulse.alerts.delivery.tables import deliveries, subscriptions
from pulse.alerts.webhooks.disable_policy import (
    FailureStreak,
    record_attempt,
    subscription_verdict,
)


@dataclass(frozen=True, slots=True)
class LockedSubscription:
    id: str
    url: str
    event_types: list[str]
    enabled: bool
    streak: FailureStreak | None
    warned: bool


async def lock_subscription(
    session: AsyncSession, subscription_id: str
) -> LockedSubscription | None:
    """The subscription, locked until the transaction ends; None when it was deleted."""
    s = subscriptions
    row = (
        await session.execute(select(s).where(s.c.id == subscription_id).with_for_update())
    ).first()
    if row is None:
        return None
    streak = None
    if row.failing_since is not None and row.last_failure_at is not None:
        streak = FailureStreak(row.failing_since, row.last_failure_at)
    return LockedSubscription(
        row.id, row.url, list(row.event_types), row.enabled, streak, row.warned_at is not None
    )


async def record_endpoint_attempt(
    session: AsyncSession,
    subscription: LockedSubscription,
    *,
    succeeded: bool,
    gone: bool,
    now: datetime,
) -> FailingEndpoint | None:
    """Extend or end the streak; warn or disable when the policy (or a 410) says so.

    Returns the warning to send, if the subscription was just warned about or disabled.
    """
    streak = record_attempt(subscription.streak, now, succeeded)
    values: dict[str, object] = {
        "failing_since": streak.first_failure_at if streak else None,
        "last_failure_at": streak.last_failure_at if streak else None,
    }
    if streak is None:
        values["warned_at"] = None
    await session.execute(
        update(subscriptions).where(subscriptions.c.id == subscription.id).values(**values)
    )
    if not subscription.enabled:
        return None
    since = streak.first_failure_at if streak else None
    if gone:
        reason = "the endpoint answered 410 Gone"
        await disable(session, subscription.id, reason, now)
        return FailingEndpoint(subscription.id, subscription.url, "disabled", reason, since)
    verdict = subscription_verdict(streak, now)
    if verdict == "disable":
        reason = f"every attempt since {since:%Y-%m-%d %H:%M} UTC failed"
        await disable(session, subscription.id, reason, now)
        return FailingEndpoint(subscription.id, subscription.url, "disabled", reason, since)
    if verdict == "warn" and not subscription.warned:
        await session.execute(
            update(subscriptions).where(subscriptions.c.id == subscription.id).values(warned_at=now)
        )
        reason = f"every attempt since {since:%Y-%m-%d %H:%M} UTC failed; disabled after 5 days"
        return FailingEndpoint(subscription.id, subscription.url, "warned", reason, since)
    return None


async def disable(session: AsyncSession, subscription_id: str, reason: str, now: datetime) -> None:
    """Disable the (locked) subscription; its pending deliveries are given up (`failed`), so
    a redelivery or a recovery can send them once the endpoint is fixed."""
    await session.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(enabled=False, disabled_at=now, disabled_reason=reason, updated_at=now)
    )
    d = deliveries
    await session.execute(
        update(d)
        .where(d.c.subscription_id == subscription_id, d.c.state == "pending")
        .values(state="failed", lease_until=None)
    )


async def warn_other_subscriptions(
    session: AsyncSession, endpoint: FailingEndpoint, event_types: list[str], now: datetime
) -> bool:
    """Queue the warning about `endpoint` for the other enabled subscriptions sharing one of
    its event types; whether any will get it."""
    s = subscriptions
    targets = list(
        (
            await session.execute(
                select(s.c.id)
                .where(s.c.enabled, s.c.id != endpoint.subscription_id)
                .where(s.c.event_types.overlap(event_types))
                .order_by(s.c.id)
            )
        ).scalars()
    )
    if not targets:
        return False
    row = (
        endpoint_failing_key(endpoint),
        ENDPOINT_FAILING,
        None,
        None,
        endpoint_failing_body(endpoint, now),
    )
    stored: list[StoredMessage] = await add_messages(session, [row])
    await add_deliveries(session, [(message, target) for message in stored for target in targets])
    return bool(stored)
