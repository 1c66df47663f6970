"""Deleting old steps from the archive (`archived_steps`), keeping what a replay from the
cutoff reads (see `step_archive.stream_accounts`): for each account, its latest row
carrying a state at or before the cutoff (its anchor) and every row after it.

Each statement is bounded (a chunk of accounts, a batch of rows) and meant for a short
transaction of its own. Several processes may prune at once: a row is deleted only below
an anchor, which no pruner with that cutoff or an earlier one deletes; rows another
pruner is deleting are skipped, not waited for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.health.storage.tables import archived_steps


@dataclass(frozen=True, slots=True)
class Anchor:
    """An account's latest state-bearing row at or before a cutoff: a replay from the
    cutoff starts there."""

    account_id: str
    seq: int


async def replay_anchors(
    session: AsyncSession, cutoff: datetime, *, after: str | None, limit: int
) -> list[Anchor]:
    """The anchors of up to `limit` accounts whose ids follow `after` (from the first
    when None), by id. An account with no state at or before `cutoff` has none."""
    rows = await session.execute(_ANCHORS, {"cutoff": cutoff, "after": after or "", "limit": limit})
    return [Anchor(account_id, seq) for account_id, seq in rows]


async def delete_before_anchors(
    session: AsyncSession, anchors: Sequence[Anchor], cutoff: datetime, *, limit: int
) -> int:
    """Delete up to `limit` rows older than `cutoff` that come before their account's
    anchor; how many were deleted."""
    if not anchors:
        return 0
    parameters = {
        "ids": [anchor.account_id for anchor in anchors],
        "seqs": [anchor.seq for anchor in anchors],
        "cutoff": cutoff,
        "limit": limit,
    }
    result = cast(CursorResult[tuple[()]], await session.execute(_DELETE, parameters))
    return result.rowcount


async def archive_bytes(session: AsyncSession) -> int:
    """The archive's size on disk, indexes and TOAST included."""
    size = await session.execute(_SIZE, {"table": archived_steps.name})
    return int(size.scalar_one() or 0)


# Reads only the partial index `archived_steps_states` (state rows, `at` included).
_ANCHORS = text(
    f"""
    SELECT account_id, max(seq) FROM {archived_steps.name}
    WHERE state IS NOT NULL AND at <= :cutoff AND account_id > :after
    GROUP BY account_id ORDER BY account_id LIMIT :limit
    """
)
# `at < :cutoff` as well as below the anchor: a row stamped after the cutoff stays until
# the cutoff passes it, whatever its place. SKIP LOCKED: another pruner is deleting it.
# `= ANY(ARRAY(...))`, not `IN (...)`: the planner hashes an IN over the whole table.
_DELETE = text(
    f"""
    DELETE FROM {archived_steps.name} WHERE seq = ANY(ARRAY(
        SELECT s.seq
        FROM unnest(CAST(:ids AS text[]), CAST(:seqs AS bigint[])) AS a(account_id, seq)
        JOIN {archived_steps.name} s ON s.account_id = a.account_id AND s.seq < a.seq
        WHERE s.at < :cutoff
        LIMIT :limit
        FOR UPDATE OF s SKIP LOCKED
    ))
    """
)
_SIZE = text("SELECT pg_total_relation_size(to_regclass(:table))")
