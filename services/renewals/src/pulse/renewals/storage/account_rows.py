"""`renewal_accounts` rows: written with each book, read by the forecast and owner routes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.bulk import bulk_insert, column_arrays
from pulse.renewals.storage.tables import renewal_accounts, renewal_standings

_COLUMNS = {
    "account_id": "text",
    "name": "text",
    "segment": "text",
    "owner": "text",
    "industry": "text",
    "plan": "text",
    "currency": "text",
    "arr_minor": "int8",
    "renewal_date": "date",
    "band": "text",
    "score": "float8",
    "score_change": "numeric",
    "category": "text",
    "probability": "numeric",
    "updated_at": "timestamptz",
}
_SAVE = bulk_insert(
    renewal_accounts.name,
    _COLUMNS,
    conflict=["account_id"],
    update=[c for c in _COLUMNS if c != "account_id"],
)
_STANDING_COLUMNS = {
    "account_id": "text",
    "evaluated_at": "timestamptz",
    "renewal_date": "date",
    "band": "text",
    "category": "text",
    "probability": "numeric",
}
_ADD_STANDINGS = bulk_insert(renewal_standings.name, _STANDING_COLUMNS, ordered=True)


async def save_accounts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert rows (mappings of every column of `renewal_accounts`)."""
    if rows:
        await session.execute(_SAVE, column_arrays(rows, _COLUMNS))


async def add_standings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows to the history of standings."""
    if rows:
        await session.execute(_ADD_STANDINGS, column_arrays(rows, _STANDING_COLUMNS))


@dataclass(frozen=True, slots=True)
class AccountFilters:
    """Filters of the account rows the routes read; None means any."""

    renewing_from: date | None = None
    renewing_to: date | None = None
    segment: str | None = None
    owner: str | None = None


async def list_accounts(session: AsyncSession, filters: AccountFilters) -> list[dict[str, Any]]:
    """The rows matching `filters`, by renewal date then id."""
    rows = await session.execute(_query(filters))
    return [dict(row) for row in rows.mappings()]


def _query(filters: AccountFilters) -> Select[Any]:
    t = renewal_accounts
    query = select(t).order_by(t.c.renewal_date, t.c.account_id)
    if filters.renewing_from is not None:
        query = query.where(t.c.renewal_date >= filters.renewing_from)
    if filters.renewing_to is not None:
        query = query.where(t.c.renewal_date <= filters.renewing_to)
    if filters.segment is not None:
        query = query.where(t.c.segment == filters.segment)
    if filters.owner is not None:
        query = query.where(t.c.owner == filters.owner)
    return query
