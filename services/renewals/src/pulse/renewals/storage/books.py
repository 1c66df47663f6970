"""Account books as the keeper stores and loads them, and the accounts due a new look.
Every function runs in the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.bulk import bulk_insert, json_text
from pulse.renewals.storage.tables import account_books

StoredBook = tuple[int, dict[str, Any]]


async def load_books(session: AsyncSession, account_ids: Iterable[str]) -> dict[str, StoredBook]:
    """(partition, snapshot) of those accounts that have a stored book."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    t = account_books
    rows = await session.execute(
        select(t.c.account_id, t.c.partition, t.c.state).where(t.c.account_id.in_(ids))
    )
    return {account: (partition, state) for account, partition, state in rows}


async def load_all_books(session: AsyncSession) -> dict[str, StoredBook]:
    """Every stored book (the retention figures read the whole book of business)."""
    t = account_books
    rows = await session.execute(select(t.c.account_id, t.c.partition, t.c.state))
    return {account: (partition, state) for account, partition, state in rows}


async def due_accounts(
    session: AsyncSession, partitions: Collection[int], today: date, limit: int
) -> list[str]:
    """Accounts of `partitions` not evaluated yet on `today`."""
    if not partitions:
        return []
    t = account_books
    rows = await session.execute(
        select(t.c.account_id)
        .where(t.c.partition.in_(sorted(partitions)), t.c.evaluated_on < today)
        .order_by(t.c.evaluated_on, t.c.account_id)
        .limit(limit)
    )
    return list(rows.scalars())


async def save_books(
    session: AsyncSession, rows: Sequence[tuple[str, int, dict[str, Any], date]]
) -> None:
    """Upsert (account_id, partition, snapshot, evaluated_on) rows."""
    if not rows:
        return
    await session.execute(
        _SAVE,
        {
            "account_id": [r[0] for r in rows],
            "partition": [r[1] for r in rows],
            "state": [json_text(r[2]) for r in rows],
            "evaluated_on": [r[3] for r in rows],
        },
    )


_SAVE = bulk_insert(
    account_books.name,
    {"account_id": "text", "partition": "int4", "state": "json", "evaluated_on": "date"},
    conflict=["account_id"],
    update=["partition", "state", "evaluated_on"],
)
