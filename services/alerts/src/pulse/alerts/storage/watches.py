"""Account watches as the keeper stores and loads them. Every function runs in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.storage.tables import account_watches
from pulse.common.db.bulk import bulk_insert, json_text

StoredWatch = tuple[int, dict[str, Any]]


async def load_watches(session: AsyncSession, account_ids: Iterable[str]) -> dict[str, StoredWatch]:
    """(partition, snapshot) of those accounts that have a stored watch."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    t = account_watches
    rows = await session.execute(
        select(t.c.account_id, t.c.partition, t.c.state).where(t.c.account_id.in_(ids))
    )
    return {account: (partition, state) for account, partition, state in rows}


async def due_accounts(
    session: AsyncSession, partitions: Collection[int], now: datetime, limit: int
) -> list[str]:
    """Accounts of `partitions` due for evaluation at `now`, most overdue first."""
    if not partitions:
        return []
    t = account_watches
    rows = await session.execute(
        select(t.c.account_id)
        .where(t.c.partition.in_(sorted(partitions)), t.c.next_check <= now)
        .order_by(t.c.next_check)
        .limit(limit)
    )
    return list(rows.scalars())


async def save_watches(
    session: AsyncSession, rows: Sequence[tuple[str, int, dict[str, Any], datetime | None]]
) -> None:
    """Upsert (account_id, partition, snapshot, next_check) rows."""
    if not rows:
        return
    await session.execute(
        _SAVE,
        {
            "account_id": [r[0] for r in rows],
            "partition": [r[1] for r in rows],
            "state": [json_text(r[2]) for r in rows],
            "next_check": [r[3] for r in rows],
        },
    )


_SAVE = bulk_insert(
    account_watches.name,
    {"account_id": "text", "partition": "int4", "state": "json", "next_check": "timestamptz"},
    conflict=["account_id"],
    update=["partition", "state", "next_check"],
)


async def postpone(session: AsyncSession, account_ids: Sequence[str], until: datetime) -> None:
    """Move those accounts' next evaluation to `until`."""
    t = account_watches
    await session.execute(
        update(t).where(t.c.account_id.in_(list(account_ids))).values(next_check=until)
    )
