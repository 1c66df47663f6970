"""Reading and writing health's tables; every function runs in the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    and_,
    bindparam,
    cast,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.bulk import bulk_insert, column_arrays, json_text
from pulse.health.tables import (
    account_changes,
    account_states,
    score_history,
    scores,
    scoring_models,
)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """One `account_states` row."""

    account_id: str
    partition: int
    state: dict[str, Any]
    next_change_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredChange:
    """One `account_changes` row: the inputs a re-score applied (see `changes`), the moment
    it scored at, and what its scoring said."""

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


async def save_scores(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert current scores (`scores` columns as keys; `components` as JSON text)."""
    if rows:
        await session.execute(_SAVE_SCORES, column_arrays(rows, _SCORE_COLUMNS))


async def add_history(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append history points (`components` as JSON text); a point at the same instant
    replaces the earlier one."""
    if rows:
        await session.execute(_ADD_HISTORY, column_arrays(rows, _HISTORY_COLUMNS))


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


async def active_model(session: AsyncSession) -> tuple[str, str] | None:
    """(version, YAML body) of the active scoring model, if one was stored."""
    t = scoring_models
    row = (await session.execute(select(t.c.version, t.c.body).where(t.c.active))).first()
    return (row[0], row[1]) if row is not None else None


class ModelVersionTaken(ValueError):
    """A different model is already stored under this version."""


async def store_model(session: AsyncSession, version: str, fingerprint: str, body: str) -> str:
    """Make a model the active one; an identical model already stored is re-activated.

    Returns the active version (the earlier version when the content is the same).
    Raises `ModelVersionTaken` when another model already has this version.
    """
    t = scoring_models
    existing = (
        await session.execute(select(t.c.version).where(t.c.fingerprint == fingerprint))
    ).scalar()
    if existing is None:
        taken = (await session.execute(select(t.c.version).where(t.c.version == version))).scalar()
        if taken is not None:
            raise ModelVersionTaken(
                f"scoring model version {version!r} is already stored with other content; "
                "give the changed model a new version"
            )
    await session.execute(update(t).where(t.c.active).values(active=False))
    if existing is not None:
        await session.execute(update(t).where(t.c.version == existing).values(active=True))
        return str(existing)
    await session.execute(
        insert(t).values(version=version, fingerprint=fingerprint, body=body, active=True)
    )
    return version


async def list_models(session: AsyncSession) -> list[dict[str, Any]]:
    """Every stored model version, newest first, without bodies."""
    t = scoring_models
    rows = await session.execute(
        select(t.c.version, t.c.fingerprint, t.c.active, t.c.created_at).order_by(
            t.c.created_at.desc()
        )
    )
    return [dict(r._mapping) for r in rows]
