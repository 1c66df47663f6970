"""Account state as the keeper stores and loads it: a snapshot per account and the changes
after it. Every function runs in the caller's transaction; what a re-score writes beside
the state is in `score_writes`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Text,
    cast,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.bulk import bulk_insert, column_arrays, json_text
from pulse.health.storage.tables import account_changes, account_states


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """One `account_states` row."""

    account_id: str
    partition: int
    state: dict[str, Any]
    next_change_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredChange:
    """One `account_changes` row: the inputs a re-score applied (see
    `pulse.health.keeping.changes`), the moment it scored at, and what its scoring said."""

    at: datetime
    inputs: bytes
    meta: dict[str, Any]
    next_change_at: datetime | None
    rescored: bool = True


async def load_accounts(
    session: AsyncSession, account_ids: Iterable[str]
) -> dict[str, StoredAccount]:
    """The stored snapshot of those accounts that have one."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    t = account_states
    rows = await session.execute(
        select(t.c.account_id, t.c.partition, t.c.state, t.c.next_change_at).where(
            t.c.account_id.in_(ids)
        )
    )
    return {a: StoredAccount(a, p, s, n) for a, p, s, n in rows}


@dataclass(frozen=True, slots=True)
class StoredAccountText:
    """One `account_states` row as a partition load reads it: the state as JSON text (left
    undecoded: most accounts are not touched for a while), what its scoring said."""

    account_id: str
    partition: int
    state_json: bytes
    meta: dict[str, Any]
    next_change_at: datetime | None


#: Rows fetched per round trip when loading partitions: memory stays flat however many.
LOAD_CHUNK = 1_000


async def stream_partitions(
    session: AsyncSession, partitions: Iterable[int]
) -> AsyncIterator[list[StoredAccountText]]:
    """Every account whose events arrive on one of `partitions`, a chunk at a time."""
    t = account_states
    body = t.c.state
    query = (
        select(
            t.c.account_id,
            t.c.partition,
            cast(body["state"], Text),
            body["score"].as_float(),
            body["band"].as_string(),
            body["model_version"].as_string(),
            body["history_score"].as_float(),
            body["history_day"].as_string(),
            t.c.next_change_at,
        )
        .where(t.c.partition.in_(sorted(partitions)))
        .execution_options(yield_per=LOAD_CHUNK)
    )
    result = await session.stream(query)
    async for rows in result.partitions():
        yield [
            StoredAccountText(
                account_id,
                partition,
                state.encode(),
                dict(zip(_META, meta, strict=True)),
                next_change_at,
            )
            for account_id, partition, state, *meta, next_change_at in rows
        ]


_META = ("score", "band", "model_version", "history_score", "history_day")


async def load_changes(
    session: AsyncSession, account_ids: Iterable[str]
) -> dict[str, list[StoredChange]]:
    """The changes after the snapshot of those accounts that have some, oldest first."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    return await _changes(session, account_changes.c.account_id.in_(ids))


async def partition_changes(
    session: AsyncSession, partitions: Iterable[int]
) -> dict[str, list[StoredChange]]:
    """The changes after the snapshots of accounts of `partitions`, oldest first."""
    return await _changes(session, account_changes.c.partition.in_(sorted(partitions)))


async def _changes(session: AsyncSession, where: Any) -> dict[str, list[StoredChange]]:
    t = account_changes
    rows = await session.execute(
        select(
            t.c.account_id,
            t.c.at,
            t.c.inputs,
            t.c.rescored,
            t.c.next_change_at,
            *(t.c[m] for m in _META),
        )
        .where(where)
        .order_by(t.c.seq)
    )
    found: dict[str, list[StoredChange]] = {}
    for account_id, at, inputs, rescored, next_change_at, *meta in rows:
        change = StoredChange(
            at, inputs, dict(zip(_META, meta, strict=True)), next_change_at, rescored
        )
        found.setdefault(account_id, []).append(change)
    return found


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An `account_states` row to write: the state and meta as JSON text (`snapshot_text`)."""

    account_id: str
    partition: int
    text: str
    next_change_at: datetime | None


def snapshot_text(state_json: bytes, meta: Mapping[str, Any]) -> str:
    """The stored document of a snapshot: `{"state": <state_json>, **meta}`."""
    return f'{{"state":{state_json.decode()},{json_text(meta)[1:]}'


async def save_snapshots(session: AsyncSession, rows: Sequence[Snapshot]) -> None:
    """Upsert account snapshots with their next-change time, and drop the changes they
    now include."""
    if not rows:
        return
    ids = [row.account_id for row in rows]
    await session.execute(
        _SAVE_ACCOUNTS,
        {
            "account_id": ids,
            "partition": [row.partition for row in rows],
            "state": [row.text for row in rows],
            "next_change_at": [row.next_change_at for row in rows],
        },
    )
    await session.execute(_FORGET_CHANGES, {"account_ids": ids})


async def add_changes(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append changes (`account_changes` columns as keys), in order."""
    if rows:
        await session.execute(_ADD_CHANGES, column_arrays(rows, _CHANGE_COLUMNS))


_SAVE_ACCOUNTS = bulk_insert(
    account_states.name,
    {
        "account_id": "text",
        "partition": "integer",
        "state": "json",
        "next_change_at": "timestamptz",
    },
    conflict=["account_id"],
    update=["partition", "state", "next_change_at"],
    extra_updates="updated_at = now()",
)
_FORGET_CHANGES = text(
    "DELETE FROM account_changes WHERE account_id = ANY(CAST(:account_ids AS text[]))"
)
_CHANGE_COLUMNS = {
    "account_id": "text",
    "partition": "integer",
    "at": "timestamptz",
    "inputs": "bytea",
    "score": "float8",
    "band": "text",
    "model_version": "text",
    "history_score": "float8",
    "history_day": "text",
    "next_change_at": "timestamptz",
    "rescored": "boolean",
}
_ADD_CHANGES = bulk_insert(account_changes.name, _CHANGE_COLUMNS, ordered=True)
