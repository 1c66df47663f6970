"""Event-id de-duplication (DESIGN §2): a repeated id for the same account changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, text
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
    # Two arrays in one prepared statement: no per-batch SQL to build or compile.
    result = await session.execute(
        _CLAIM, {"accounts": [a for a, _ in pairs], "events": [e for _, e in pairs]}
    )
    return {(a, e) for a, e in result}


_CLAIM = text(
    f"INSERT INTO {processed_events.name} (account_id, event_id) "
    "SELECT * FROM unnest(CAST(:accounts AS text[]), CAST(:events AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING account_id, event_id"
)


async def forget_event_ids_before(session: AsyncSession, cutoff: datetime) -> int:
    """Drop ids seen before `cutoff` (now minus the dedupe window); returns how many."""
    result = await session.execute(
        delete(processed_events).where(processed_events.c.seen_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def dedupe_cutoff(now: datetime, window_days: int) -> datetime:
    """The oldest `seen_at` still inside the dedupe window."""
    return now - timedelta(days=window_days)
