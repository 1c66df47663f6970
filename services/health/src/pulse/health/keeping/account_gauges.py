"""The `pulse_health_accounts*` gauges, refreshed from PostgreSQL on a beat.

Counted from the `scores` table rather than kept from band changes in memory: each
process owns only some partitions, and the table is right after any restart or
rebalance by construction. Every process reports the whole table, so dashboards take
`max` across instances, not `sum`. Every band, segment and decile is always reported
(0 when empty), so a bucket that empties reads 0 instead of keeping its last count.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.events.enums import AccountSegment
from pulse.health import metrics
from pulse.health.scoring.bands import BANDS
from pulse.health.storage.account_counts import AccountCounts, count_accounts

log = logging.getLogger(__name__)

SEGMENTS: tuple[str, ...] = tuple(segment.value for segment in AccountSegment)
DECILES: tuple[int, ...] = tuple(range(0, 100, 10))


def gauge_values(counts: AccountCounts) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Every (band, segment) and every decile label ("0" ... "90") with its count, 0 when
    none. A band or segment outside the known sets (none today) is reported as counted."""
    by_band_segment: dict[tuple[str, str], int] = {
        (band, segment): 0 for band in BANDS for segment in SEGMENTS
    }
    by_band_segment.update(counts.by_band_segment)
    by_decile = {str(decile): counts.by_decile.get(decile, 0) for decile in DECILES}
    return by_band_segment, by_decile


def record_account_counts(counts: AccountCounts) -> None:
    """Set the gauges to `counts`."""
    by_band_segment, by_decile = gauge_values(counts)
    for (band, segment), accounts in by_band_segment.items():
        metrics.ACCOUNTS.labels(band, segment).set(accounts)
    for score_from, accounts in by_decile.items():
        metrics.ACCOUNTS_BY_SCORE.labels(score_from).set(accounts)


async def refresh_account_gauges(reads: async_sessionmaker[AsyncSession]) -> None:
    """Count the accounts once and set the gauges."""
    async with reads() as session:
        record_account_counts(await count_accounts(session))


async def keep_account_gauges(reads: async_sessionmaker[AsyncSession], every_s: float) -> None:
    """Refresh the gauges every `every_s` until cancelled; a failed count is logged and
    the gauges keep their last values until the next one."""
    while True:
        try:
            await refresh_account_gauges(reads)
        except Exception:
            log.exception("counting accounts for the gauges failed; retrying")
        await asyncio.sleep(every_s)
