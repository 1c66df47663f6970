"""The step archive's retention: every `PULSE_HEALTH_ARCHIVE_PRUNE_S`, delete the steps
older than `PULSE_HEALTH_ARCHIVE_DAYS` on health's clock, keeping what a replay from the
cutoff reads (see `pulse.health.storage.archive_pruning`), a bounded batch per short
transaction so the keeper's batches never wait long behind it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.clock import Clock
from pulse.health import metrics
from pulse.health.storage.archive_pruning import (
    archive_bytes,
    delete_before_anchors,
    replay_anchors,
)

log = logging.getLogger(__name__)

#: Accounts whose anchors are read at once (one short read of the states index).
ACCOUNTS_PER_CHUNK = 1_000
#: Rows one DELETE removes at most, in a transaction of its own.
ROWS_PER_DELETE = 10_000


def archive_cutoff(now: datetime, days: int) -> datetime:
    """The moment before which archived steps may go, `days` before `now`."""
    return now - timedelta(days=days)


async def prune_archive(
    sessions: async_sessionmaker[AsyncSession],
    cutoff: datetime,
    *,
    accounts_per_chunk: int = ACCOUNTS_PER_CHUNK,
    rows_per_delete: int = ROWS_PER_DELETE,
) -> int:
    """Delete every step older than `cutoff` that a replay from it does not read, account
    chunk by account chunk; how many rows this call deleted."""
    deleted, after = 0, None
    while True:
        async with sessions.begin() as session:
            anchors = await replay_anchors(session, cutoff, after=after, limit=accounts_per_chunk)
        if not anchors:
            return deleted
        while True:
            async with sessions.begin() as session:
                batch = await delete_before_anchors(session, anchors, cutoff, limit=rows_per_delete)
            metrics.ARCHIVE_ROWS_DELETED.inc(batch)
            deleted += batch
            if batch < rows_per_delete:
                break
        after = anchors[-1].account_id


async def measure_archive(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Set the archive size gauge."""
    async with sessions() as session:
        metrics.ARCHIVE_BYTES.set(await archive_bytes(session))


async def keep_archive_pruned(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, days: int, every_s: float
) -> None:
    """Prune the archive and measure it every `every_s` until cancelled; a failed round is
    logged and the next one starts over (what was deleted stays deleted)."""
    while True:
        try:
            cutoff = archive_cutoff(clock(), days)
            deleted = await prune_archive(sessions, cutoff)
            if deleted:
                log.info(
                    "pruned the step archive",
                    extra={"rows": deleted, "cutoff": cutoff.isoformat()},
                )
            await measure_archive(sessions)
        except Exception:
            log.exception("pruning the step archive failed; retrying next round")
        await asyncio.sleep(every_s)
