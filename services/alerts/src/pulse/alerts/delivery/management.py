"""Managing subscriptions for the API: each function takes the session first, raises
domain errors (`PulseError`s the error handler renders) and never commits; the route's
transaction does. The delivery log and sending again are in `delivery_log`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.delivery.endpoint_health import lock_subscription
from pulse.alerts.delivery.sender import Resolver, checked_address, resolve_host
from pulse.alerts.delivery.tables import deliveries, subscriptions
from pulse.alerts.webhooks.address_guard import AddressRefused
from pulse.alerts.webhooks.rotation import MAX_OVERLAP, SubscriptionSecrets, rotate
from pulse.alerts.webhooks.urls import InvalidWebhookUrl, validate_webhook_url
from pulse.common.errors import NotFoundError, PulseError


class WebhookUrlRefused(PulseError):
    """A URL webhooks may not be sent to (422), with why."""

    status_code = 422
    code = "webhook_url_refused"


class InvalidOverlap(PulseError):
    status_code = 422
    code = "invalid_overlap"


#: What the API shows of a subscription: everything but the secrets.
SHOWN = (
    "id",
    "url",
    "event_types",
    "account_ids",
    "segments",
    "enabled",
    "ordered",
    "disabled_at",
    "disabled_reason",
    "failing_since",
    "last_failure_at",
    "warned_at",
    "rotated_at",
    "previous_secret_until",
    "created_at",
    "updated_at",
)
_SHOWN_COLUMNS = [subscriptions.c[name] for name in SHOWN]


async def check_destination(
    url: str, *, allow_private: bool, resolve: Resolver = resolve_host
) -> None:
    """Refuse a URL that is malformed or whose host resolves to an address the guard
    refuses now (it is checked again at every attempt)."""
    try:
        webhook_url = validate_webhook_url(url)
        await checked_address(webhook_url, allow_private=allow_private, resolve=resolve)
    except (InvalidWebhookUrl, AddressRefused) as error:
        raise WebhookUrlRefused(
            f"webhook URL refused: {error}",
            details=[{"path": "body.url", "message": str(error)}],
        ) from None


@dataclass(frozen=True, slots=True)
class NewSubscription:
    id: str
    url: str
    event_types: Sequence[str]
    account_ids: Sequence[str] | None
    segments: Sequence[str] | None
    enabled: bool
    ordered: bool
    secret: str


async def create_subscription(
    session: AsyncSession, new: NewSubscription, now: datetime
) -> dict[str, Any]:
    """Store `new`; the subscription as shown."""
    values = {
        "id": new.id,
        "url": new.url,
        "event_types": list(new.event_types),
        "account_ids": None if new.account_ids is None else list(new.account_ids),
        "segments": None if new.segments is None else list(new.segments),
        "enabled": new.enabled,
        "ordered": new.ordered,
        "disabled_at": None if new.enabled else now,
        "disabled_reason": None if new.enabled else "created disabled",
        "secret": new.secret,
        "created_at": now,
        "updated_at": now,
    }
    row = (
        await session.execute(insert(subscriptions).values(**values).returning(*_SHOWN_COLUMNS))
    ).one()
    return dict(row._mapping)


async def list_subscriptions(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(*_SHOWN_COLUMNS).order_by(subscriptions.c.created_at))
    return [dict(row._mapping) for row in rows]


async def get_subscription(session: AsyncSession, subscription_id: str) -> dict[str, Any]:
    row = (
        await session.execute(select(*_SHOWN_COLUMNS).where(subscriptions.c.id == subscription_id))
    ).first()
    if row is None:
        raise no_subscription(subscription_id)
    return dict(row._mapping)


async def update_subscription(
    session: AsyncSession, subscription_id: str, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Apply `changes` (columns to values). Re-enabling ends the failure streak; disabling
    by hand gives up the pending deliveries, as a disable by failures does."""
    locked = await lock_subscription(session, subscription_id)
    if locked is None:
        raise no_subscription(subscription_id)
    values: dict[str, Any] = {**changes, "updated_at": now}
    if changes.get("enabled") is True and not locked.enabled:
        values.update(
            disabled_at=None,
            disabled_reason=None,
            failing_since=None,
            last_failure_at=None,
            warned_at=None,
        )
    if changes.get("enabled") is False and locked.enabled:
        values.update(disabled_at=now, disabled_reason="disabled by request")
        d = deliveries
        await session.execute(
            update(d)
            .where(d.c.subscription_id == subscription_id, d.c.state == "pending")
            .values(state="failed")
        )
    await session.execute(
        update(subscriptions).where(subscriptions.c.id == subscription_id).values(**values)
    )
    return await get_subscription(session, subscription_id)


async def delete_subscription(session: AsyncSession, subscription_id: str) -> None:
    """Delete the subscription with its deliveries and their log."""
    result = await session.execute(
        delete(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .returning(subscriptions.c.id)
    )
    if result.first() is None:
        raise no_subscription(subscription_id)


async def rotate_secret(
    session: AsyncSession,
    subscription_id: str,
    new_secret: str,
    overlap: timedelta,
    now: datetime,
) -> dict[str, Any]:
    """Make `new_secret` current; the old one signs too for `overlap` (0 to 7 days)."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise InvalidOverlap(
            f"overlap must be 0 to 7 days, not {overlap}",
            details=[{"path": "query.overlap", "message": "0 to 7 days"}],
        )
    s = subscriptions
    row = (
        await session.execute(select(s.c.secret).where(s.c.id == subscription_id).with_for_update())
    ).first()
    if row is None:
        raise no_subscription(subscription_id)
    rotated = rotate(SubscriptionSecrets(row.secret, overlap=overlap), new_secret, now)
    assert rotated.rotated_at is not None
    await session.execute(
        update(s)
        .where(s.c.id == subscription_id)
        .values(
            secret=rotated.current,
            previous_secret=rotated.previous,
            rotated_at=rotated.rotated_at,
            previous_secret_until=rotated.rotated_at + rotated.overlap,
            updated_at=now,
        )
    )
    return await get_subscription(session, subscription_id)


def no_subscription(subscription_id: str) -> NotFoundError:
    return NotFoundError(f"no webhook subscription {subscription_id!r}")
