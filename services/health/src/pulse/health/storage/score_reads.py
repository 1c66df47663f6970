"""What the API reads: an account's score (with the points its drivers compare against),
its history, and the filtered, keyset-paginated account list."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.health.storage.tables import score_history, scores


async def get_score(session: AsyncSession, account_id: str) -> dict[str, Any] | None:
    """The current score row of an account, or None."""
    row = (await session.execute(select(scores).where(scores.c.account_id == account_id))).first()
    return dict(row._mapping) if row is not None else None


async def get_history(
    session: AsyncSession, account_id: str, start: datetime | None, end: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """History points of an account in [start, end], oldest first."""
    t = score_history
    query = select(t.c.at, t.c.score, t.c.band, t.c.model_version).where(
        t.c.account_id == account_id
    )
    if start is not None:
        query = query.where(t.c.at >= start)
    if end is not None:
        query = query.where(t.c.at <= end)
    rows = await session.execute(query.order_by(t.c.at).limit(limit))
    return [dict(r._mapping) for r in rows]


async def get_score_and_past(
    session: AsyncSession, account_id: str, days_back: Sequence[int]
) -> tuple[dict[str, Any], list[dict[str, Any] | None]] | None:
    """The current score row and, for each of `days_back`, the history point in force that
    many days before it was computed (score and components; None when history is younger).
    One round trip: the API's hottest read."""
    query = _score_and_past_query(tuple(days_back))
    row = (await session.execute(query, {"account_id": account_id})).first()
    if row is None:
        return None
    values = dict(row._mapping)
    points: list[dict[str, Any] | None] = []
    for days in days_back:
        score = values.pop(f"past{days}_score")
        components = values.pop(f"past{days}_components")
        points.append(None if score is None else {"score": score, "components": components})
    return values, points


@functools.cache
def _score_and_past_query(days_back: tuple[int, ...]) -> Select[Any]:
    """Built once per horizon set: constructing the lateral joins costs more CPU than
    PostgreSQL spends answering them."""
    query = select(scores)
    joined: Any = scores
    for days in days_back:
        h = score_history.alias(f"h{days}")
        past = (
            select(h.c.score, h.c.components)
            .where(
                h.c.account_id == scores.c.account_id,
                h.c.at <= scores.c.computed_at - timedelta(days=days),
            )
            .order_by(h.c.at.desc())
            .limit(1)
            .lateral(f"past{days}")
        )
        joined = joined.outerjoin(past, true())
        query = query.add_columns(
            past.c.score.label(f"past{days}_score"),
            past.c.components.label(f"past{days}_components"),
        )
    return query.select_from(joined).where(scores.c.account_id == bindparam("account_id"))


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """Filters of the account list."""

    band: str | None = None
    segment: str | None = None
    owner: str | None = None
    min_score: float | None = None
    max_score: float | None = None


#: Sort keys of the account list: (column, descending).
SORTS = {
    "score": (scores.c.score, False),
    "-score": (scores.c.score, True),
    "account_id": (scores.c.account_id, False),
    "-account_id": (scores.c.account_id, True),
    "computed_at": (scores.c.computed_at, False),
    "-computed_at": (scores.c.computed_at, True),
}


async def list_scores(
    session: AsyncSession,
    filters: AccountFilter,
    sort: str,
    limit: int,
    after: tuple[Any, str] | None,
) -> list[dict[str, Any]]:
    """One page of accounts, keyset-paginated on (sort column, account_id)."""
    column, descending = SORTS[sort]
    query = select(scores)
    if filters.band is not None:
        query = query.where(scores.c.band == filters.band)
    if filters.segment is not None:
        query = query.where(scores.c.segment == filters.segment)
    if filters.owner is not None:
        query = query.where(scores.c.owner == filters.owner)
    if filters.min_score is not None:
        query = query.where(scores.c.score >= filters.min_score)
    if filters.max_score is not None:
        query = query.where(scores.c.score <= filters.max_score)
    if after is not None:
        value, account_id = after
        if column is scores.c.account_id:
            query = query.where(column < account_id if descending else column > account_id)
        elif descending:
            query = query.where(
                or_(column < value, and_(column == value, scores.c.account_id > account_id))
            )
        else:
            query = query.where(
                or_(column > value, and_(column == value, scores.c.account_id > account_id))
            )
    if column is scores.c.account_id:
        order = [column.desc() if descending else column.asc()]
    else:
        order = [column.desc() if descending else column.asc(), scores.c.account_id.asc()]
    rows = await session.execute(query.order_by(*order).limit(limit))
    return [dict(r._mapping) for r in rows]
