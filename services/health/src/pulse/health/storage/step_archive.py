"""The step archive (`archived_steps`): appended in the keeper's transaction, read back
per account, in order, by a backtest (see `pulse.health.backtest.replay`). Reads never
write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pulse.common.db.bulk import bulk_insert, column_arrays
from pulse.health.storage.tables import archived_steps


async def add_steps(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append steps (`archived_steps` columns as keys; `state` as JSON text or None), in
    order."""
    if rows:
        await session.execute(_ADD_STEPS, column_arrays(rows, _STEP_COLUMNS))


_STEP_COLUMNS = {
    "account_id": "text",
    "at": "timestamptz",
    "inputs": "bytea",
    "rescored": "boolean",
    "state": "json",
}
_ADD_STEPS = bulk_insert(archived_steps.name, _STEP_COLUMNS, ordered=True)


@dataclass(frozen=True, slots=True)
class ArchivedStep:
    """One archived step: `inputs` applied at `at` (see `pulse.health.keeping.changes`),
    re-scored after them if `rescored`, and the state after it when the keeper wrote a
    snapshot there."""

    at: datetime
    inputs: bytes
    rescored: bool
    state: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ArchivedAccount:
    """An account's steps from the latest one carrying a state at or before the replay's
    start (or from its first step), in order: the first carries the state to start from."""

    account_id: str
    steps: list[ArchivedStep]


#: Accounts read per round trip: memory stays flat however many there are.
READ_CHUNK = 200


async def stream_accounts(
    connection: AsyncConnection, start: datetime, end: datetime, schema: str = "health"
) -> AsyncIterator[list[ArchivedAccount]]:
    """Every archived account with steps before `end`, by id, a chunk at a time: its steps
    from the latest state at or before `start` (its first state if none is that early) up
    to `end`."""
    listed = await connection.execute(text(_ACCOUNTS.format(schema=schema)), {"end": end})
    ids = [account_id for (account_id,) in listed]
    steps_query = text(_STEPS.format(schema=schema))
    for first in range(0, len(ids), READ_CHUNK):
        chunk = ids[first : first + READ_CHUNK]
        rows = await connection.execute(steps_query, {"ids": chunk, "start": start, "end": end})
        found: dict[str, list[ArchivedStep]] = {}
        for account_id, at, inputs, rescored, state in rows:
            found.setdefault(account_id, []).append(
                ArchivedStep(at, bytes(inputs), rescored, _json(state))
            )
        yield [ArchivedAccount(a, found[a]) for a in chunk if a in found]


def _json(value: Any) -> dict[str, Any] | None:
    found: dict[str, Any] | None = orjson.loads(value) if isinstance(value, str | bytes) else value
    return found


_ACCOUNTS = "SELECT DISTINCT account_id FROM {schema}.archived_steps WHERE at < :end ORDER BY 1"
# The start row: the latest state at or before `start`; failing that, the first state.
_STEPS = """
    WITH starts AS (
        SELECT c.account_id, COALESCE(
            (SELECT max(s.seq) FROM {schema}.archived_steps s
             WHERE s.account_id = c.account_id AND s.state IS NOT NULL AND s.at <= :start),
            (SELECT min(s.seq) FROM {schema}.archived_steps s
             WHERE s.account_id = c.account_id AND s.state IS NOT NULL)
        ) AS seq
        FROM unnest(CAST(:ids AS text[])) AS c(account_id)
    )
    SELECT s.account_id, s.at, s.inputs, s.rescored, s.state
    FROM starts f
    JOIN {schema}.archived_steps s ON s.account_id = f.account_id AND s.seq >= f.seq
    WHERE s.at < :end
    ORDER BY s.account_id, s.seq
"""
