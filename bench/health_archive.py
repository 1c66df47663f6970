"""What the step archive (`archived_steps`) takes per event health applied: its rows and
bytes (table, TOAST and indexes), beside the bytes of the event itself as consumed and of
`account_changes`, the table that holds the same inputs until a snapshot drops them."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.health_common import engine_of, fetch_all
from bench.stack import Stack

_FOOTPRINT = """
    SELECT
        (SELECT count(*) FROM health.archived_steps),
        (SELECT count(*) FROM health.archived_steps WHERE state IS NOT NULL),
        pg_total_relation_size('health.archived_steps'),
        pg_total_relation_size('health.account_changes')
"""


def archive_footprint(stack: Stack, events_applied: int, message_bytes: float) -> dict[str, Any]:
    """The archive's rows and bytes in the database of `stack`, in total and per event of
    `events_applied`; `message_bytes`: an event's mean size as consumed."""
    rows, state_rows, archive_bytes, changes_bytes = asyncio.run(_measure(stack))
    per_event = max(events_applied, 1)
    bytes_per_event = archive_bytes / per_event
    return {
        "events_applied": events_applied,
        "rows": rows,
        "rows_with_state": state_rows,
        "bytes": archive_bytes,
        "rows_per_event": round(rows / per_event, 3),
        "bytes_per_event": round(bytes_per_event, 1),
        "mean_message_bytes": round(message_bytes),
        "ratio_to_message_bytes": round(bytes_per_event / message_bytes, 2),
        "account_changes_bytes_per_event": round(changes_bytes / per_event, 1),
    }


async def _measure(stack: Stack) -> tuple[int, int, int, int]:
    engine = engine_of(stack)
    try:
        (row,) = await fetch_all(engine, _FOOTPRINT)
    finally:
        await engine.dispose()
    rows, state_rows, archive_bytes, changes_bytes = (int(value) for value in row)
    return rows, state_rows, archive_bytes, changes_bytes
