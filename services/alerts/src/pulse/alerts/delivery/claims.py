"""Claiming due deliveries: `FOR UPDATE SKIP LOCKED` and a lease.

A claim marks deliveries `delivering` until a lease ends and counts the attempt (the
attempt number is also the fence: recording an outcome checks it, so a process whose
lease ran out cannot overwrite the attempt that replaced it). A process that dies
mid-attempt leaves the lease to run out; the delivery is then claimed again, with the same
`webhook-id`.

Claims are fair across subscriptions: each subscription gets at most its concurrency limit
minus what it already has in flight, and the oldest due of every subscription come before
the second oldest of any, so a subscription with a large backlog never crowds out the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.webhooks.rotation import SubscriptionSecrets


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """One delivery leased to this process for one attempt, with what sending needs."""

    id: int
    webhook_id: str
    #: This attempt's number (1 for the first).
    attempt: int
    #: When it was claimed: the attempt's moment in the log and the failure streak (the
    #: first attempt's is `first_attempted_at`, which anchors the retry window).
    claimed_at: datetime
    first_attempted_at: datetime
    single_attempt: bool
    body: bytes
    message_created_at: datetime
    subscription_id: str
    url: str
    secrets: SubscriptionSecrets


_DUE = """(
    (d.state = 'pending' AND d.next_attempt_at <= :now)
    OR (d.state = 'delivering' AND d.lease_until <= :now)
)"""

_CANDIDATES = text(f"""
WITH busy AS (
    SELECT subscription_id, count(*) AS n FROM webhook_deliveries
    WHERE state = 'delivering' AND lease_until > :now
    GROUP BY subscription_id
), due AS (
    SELECT d.id, d.subscription_id, row_number() OVER (
        PARTITION BY d.subscription_id ORDER BY d.next_attempt_at, d.id
    ) AS rank
    FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
    WHERE {_DUE}
      AND (s.enabled OR d.single_attempt)
      AND NOT (s.ordered AND EXISTS (
          SELECT 1 FROM webhook_deliveries e
          WHERE e.subscription_id = d.subscription_id AND e.account_id = d.account_id
            AND e.id < d.id AND e.state IN ('pending', 'delivering')
      ))
)
SELECT due.id FROM due LEFT JOIN busy USING (subscription_id)
WHERE due.rank <= :per_subscription - coalesce(busy.n, 0)
ORDER BY due.rank, due.id
LIMIT :limit
""")

_CLAIM = text(f"""
UPDATE webhook_deliveries AS t SET
    state = 'delivering', lease_until = :lease_until, attempts = t.attempts + 1,
    first_attempt_at = coalesce(t.first_attempt_at, :now), last_attempt_at = :now
FROM (
    SELECT d.id FROM webhook_deliveries d WHERE d.id = ANY(:ids) AND {_DUE}
    FOR UPDATE SKIP LOCKED
) AS c, webhook_messages m, webhook_subscriptions s
WHERE t.id = c.id AND m.id = t.message_id AND s.id = t.subscription_id
RETURNING t.id, t.webhook_id, t.attempts, t.first_attempt_at, t.single_attempt,
    m.body, m.created_at, s.id AS subscription_id, s.url, s.secret, s.previous_secret,
    s.rotated_at, s.previous_secret_until
""")


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    lease: timedelta,
    per_subscription: int,
    limit: int,
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries at `now`, fairly across subscriptions."""
    params = {"now": now, "per_subscription": per_subscription, "limit": limit}
    ids = list((await session.execute(_CANDIDATES, params)).scalars())
    if not ids:
        return []
    rows = await session.execute(_CLAIM, {"ids": ids, "now": now, "lease_until": now + lease})
    claimed = [
        ClaimedDelivery(
            id=row.id,
            webhook_id=row.webhook_id,
            attempt=row.attempts,
            claimed_at=now,
            first_attempted_at=row.first_attempt_at,
            single_attempt=row.single_attempt,
            body=row.body,
            message_created_at=row.created_at,
            subscription_id=row.subscription_id,
            url=row.url,
            secrets=_secrets(
                row.secret, row.previous_secret, row.rotated_at, row.previous_secret_until
            ),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda claim: claim.id)


def _secrets(
    current: str, previous: str | None, rotated_at: datetime | None, until: datetime | None
) -> SubscriptionSecrets:
    if previous is None or rotated_at is None or until is None:
        return SubscriptionSecrets(current)
    return SubscriptionSecrets(current, previous, rotated_at, overlap=until - rotated_at)
