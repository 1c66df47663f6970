"""What a re-score writes beside the account's state: its current score and history
points. Every function runs in the caller's transaction; the API reads them through
`score_reads`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.bulk import bulk_insert, column_arrays
from pulse.health.storage.tables import score_history, scores


async def save_scores(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert current scores (`scores` columns as keys; `components` as JSON text)."""
    if rows:
        await session.execute(_SAVE_SCORES, column_arrays(rows, _SCORE_COLUMNS))


async def add_history(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append history points (`components` as JSON text); a point at the same instant
    replaces the earlier one."""
    if rows:
        await session.execute(_ADD_HISTORY, column_arrays(rows, _HISTORY_COLUMNS))


_SCORE_COLUMNS = {
    "account_id": "text",
    "score": "float8",
    "band": "text",
    "segment": "text",
    "owner": "text",
    "model_version": "text",
    "computed_at": "timestamptz",
    "components": "json",
}
_SAVE_SCORES = bulk_insert(
    scores.name, _SCORE_COLUMNS, conflict=["account_id"], update=list(_SCORE_COLUMNS)[1:]
)
_HISTORY_COLUMNS = {
    "account_id": "text",
    "at": "timestamptz",
    "score": "float8",
    "band": "text",
    "model_version": "text",
    "components": "json",
}
_ADD_HISTORY = bulk_insert(
    score_history.name,
    _HISTORY_COLUMNS,
    conflict=["account_id", "at"],
    update=list(_HISTORY_COLUMNS)[2:],
)
