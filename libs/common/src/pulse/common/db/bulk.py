"""Bulk writes as one statement per batch: each column travels as one array.

`INSERT ... SELECT FROM unnest(arrays)` costs a single round trip and no per-row
parameter processing in SQLAlchemy (an executemany spends more CPU there than
PostgreSQL spends inserting); the statement text is fixed, so asyncpg prepares it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import TextClause, text

# JSON travels as text: asyncpg has no array codec for them.
_JSON = {"json", "jsonb"}


def bulk_insert(
    table: str,
    columns: Mapping[str, str],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    extra_updates: str = "",
    ordered: bool = False,
) -> TextClause:
    """An insert of many rows, bound as one array per column.

    `columns` maps each column to its PostgreSQL type; `json` and `jsonb` columns take
    JSON text (`json_text`). On a `conflict` with those key columns, the `update` columns
    are overwritten (plus any `extra_updates` SQL), or the row is skipped when there are
    none. `ordered` inserts in array order, so serial columns follow it.
    """
    names = list(columns)
    arrays = ", ".join(
        f"CAST(:{name} AS {'text' if kind in _JSON else kind}[])" for name, kind in columns.items()
    )
    values = ", ".join(
        f"c{i}::{kind}" if kind in _JSON else f"c{i}" for i, kind in enumerate(columns.values())
    )
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {values} "
        f"FROM unnest({arrays}) WITH ORDINALITY AS rows({aliases}, n)"
    )
    if ordered:
        sql += " ORDER BY n"
    if conflict:
        sets = [f"{c} = excluded.{c}" for c in update] + ([extra_updates] if extra_updates else [])
        action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
        sql += f" ON CONFLICT ({', '.join(conflict)}) {action}"
    return text(sql)


def column_arrays(rows: Sequence[Mapping[str, Any]], names: Iterable[str]) -> dict[str, list[Any]]:
    """Rows (mappings by column) as the arrays `bulk_insert` binds."""
    return {name: [row[name] for row in rows] for name in names}


def json_text(value: Any) -> str:
    """JSON text for a `json` or `jsonb` column of `bulk_insert`."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
