"""Accounts counted by band and segment, and by score decile, in one scan of `scores`
(the source of the `pulse_health_accounts*` gauges)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# GROUPING SETS: both counts from one pass over the table. A decile is the score's tens,
# 100 falling in the top one (90-100); scores are 0-100, the bounds only guard the labels.
_COUNTS = text(
    """
    SELECT band, segment, decile, count(*) AS accounts, GROUPING(decile) = 1 AS by_band
    FROM (
        SELECT band, segment, LEAST(GREATEST(FLOOR(score / 10)::int, 0), 9) * 10 AS decile
        FROM scores
    ) AS scored
    GROUP BY GROUPING SETS ((band, segment), (decile))
    """
)


@dataclass(frozen=True, slots=True)
class AccountCounts:
    """Accounts with a score, by (band, segment) and by decile (0, 10, ..., 90)."""

    by_band_segment: dict[tuple[str, str], int]
    by_decile: dict[int, int]


async def count_accounts(session: AsyncSession) -> AccountCounts:
    """Count the scored accounts (one statement)."""
    by_band_segment: dict[tuple[str, str], int] = {}
    by_decile: dict[int, int] = {}
    for band, segment, decile, accounts, by_band in await session.execute(_COUNTS):
        if by_band:
            by_band_segment[band, segment] = accounts
        else:
            by_decile[decile] = accounts
    return AccountCounts(by_band_segment, by_decile)
