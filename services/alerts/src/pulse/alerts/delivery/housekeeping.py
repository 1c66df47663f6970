"""The dispatcher's periodic SQL: purging the delivery log past its retention, and the
figures behind the queue and subscription gauges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_PURGE_ATTEMPTS = text("DELETE FROM webhook_attempts WHERE at < :cutoff")
# Finished deliveries whose last activity is older than the cutoff; then messages left with
# no delivery at all (a pending one keeps its message, however old).
_PURGE_DELIVERIES = text("""
DELETE FROM webhook_deliveries
WHERE state IN ('delivered', 'failed') AND coalesce(last_attempt_at, created_at) < :cutoff
""")
_PURGE_MESSAGES = text("""
DELETE FROM webhook_messages m WHERE m.created_at < :cutoff
AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id)
""")

_QUEUE = text("""
SELECT count(*) AS depth, min(m.created_at) AS oldest
FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
WHERE d.state IN ('pending', 'delivering')
""")
_SUBSCRIPTIONS = text("""
SELECT count(*) FILTER (WHERE NOT enabled) AS disabled,
       count(*) FILTER (WHERE enabled AND warned_at IS NOT NULL) AS warned
FROM webhook_subscriptions
""")


async def purge_delivery_log(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Forget attempts, finished deliveries and their messages older than `retention`;
    how many rows went."""
    cutoff = now - retention
    removed = 0
    for statement in (_PURGE_ATTEMPTS, _PURGE_DELIVERIES, _PURGE_MESSAGES):
        result = await session.execute(statement, {"cutoff": cutoff})
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


@dataclass(frozen=True, slots=True)
class QueueFigures:
    depth: int
    oldest_pending_age_s: float
    disabled: int
    warned: int


async def queue_figures(session: AsyncSession, now: datetime) -> QueueFigures:
    """What the gauges show."""
    queue = (await session.execute(_QUEUE)).one()
    subs = (await session.execute(_SUBSCRIPTIONS)).one()
    age = max((now - queue.oldest).total_seconds(), 0.0) if queue.oldest else 0.0
    return QueueFigures(int(queue.depth), age, int(subs.disabled), int(subs.warned))
