"""Event-id de-duplication (DESIGN §2): a repeated id for the same account changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.tables import processed_events


async def claim_new_event_ids(
    session: AsyncSession, ids: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Record (account_id, event_id) pairs; return the ones not seen before.

    Runs in the caller's transaction, so a rolled-back batch also forgets its ids.
    """
    pairs = list(dict.fromkeys(ids))
    if not pairs:
        return set()
    statement = (
        insert(processed_events)
        .values([{"account_id": a, "event_id": e} for a, e in pairs])
        .on_conflict_do_nothing()
        .returning(processed_events.c.account_id, processed_events.c.event_id)
    )
    result = await session.execute(statement)
    return {(a, e) for a, e in result}


async def forget_event_ids_before(session: AsyncSession, cutoff: datetime) -> int:
    """Drop ids seen before `cutoff` (now minus the dedupe window); returns how many."""
    result = await session.execute(
        delete(processed_events).where(processed_events.c.seen_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def dedupe_cutoff(now: datetime, window_days: int) -> datetime:
    """The oldest `seen_at` still inside the dedupe window."""
    return now - timedelta(days=window_days)
