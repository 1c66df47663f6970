"""Recording an attempt, in one transaction: the delivery's next state, the log row, the
subscription's streak and, when it comes to that, disabling it and warning the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.delivery.claims import ClaimedDelivery
from pulse.alerts.delivery.decisions import NextState
from pulse.alerts.delivery.endpoint_health import (
    lock_subscription,
    record_endpoint_attempt,
    warn_other_subscriptions,
)
from pulse.alerts.delivery.payloads import FailingEndpoint
from pulse.alerts.delivery.sender import AttemptResult
from pulse.alerts.delivery.tables import attempts, deliveries
from pulse.alerts.webhooks.outcomes import Response


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording did: the state stored and any warning queued."""

    state: str
    warning: FailingEndpoint | None
    warning_queued: bool


async def record_attempt_outcome(
    session: AsyncSession,
    claim: ClaimedDelivery,
    sent: AttemptResult,
    next_state: NextState,
    *,
    now: datetime,
) -> Recorded | None:
    """Store what the attempt led to, known at `now`.

    None when the lease was lost: another process owns the delivery now and its attempt
    counts, not this one.
    """
    subscription = await lock_subscription(session, claim.subscription_id)
    if subscription is None:
        return None
    state = next_state.state
    if state == "pending" and not subscription.enabled:
        # Disabled while this attempt was in flight: given up like its other deliveries.
        state = "failed"
    d = deliveries
    fenced = await session.execute(
        update(d)
        .where(d.c.id == claim.id, d.c.state == "delivering", d.c.attempts == claim.attempt)
        .values(
            state=state,
            next_attempt_at=next_state.next_attempt_at or now,
            lease_until=None,
            single_attempt=False,
            delivered_at=now if state == "delivered" else d.c.delivered_at,
        )
        .returning(d.c.id)
    )
    if fenced.first() is None:
        return None
    await session.execute(insert(attempts).values(**_log_row(claim, sent)))
    # The streak counts attempts by when they were claimed, so a retry window's last
    # attempt (claimed when the window ends) is exactly as far from the first as the window.
    warning = await record_endpoint_attempt(
        session,
        subscription,
        succeeded=next_state.succeeded,
        gone=next_state.gone,
        now=claim.claimed_at,
    )
    queued = warning is not None and await warn_other_subscriptions(
        session, warning, subscription.event_types, now
    )
    return Recorded(state, warning, queued)


def _log_row(claim: ClaimedDelivery, sent: AttemptResult) -> dict[str, object]:
    if isinstance(sent.result, Response):
        status, error = sent.result.status, sent.error
    else:
        status, error = None, sent.error or sent.result.value
    return {
        "delivery_id": claim.id,
        "number": claim.attempt,
        "at": claim.claimed_at,
        "status": status,
        "error": error,
        "latency_s": sent.latency_s,
        "response_body": sent.response_excerpt,
    }
