"""Accounts at every per-account limit of health's state: the worst the limits allow.

One state is built in-process from real events (the ledgers full of open tickets and of
open invoices, the most distinct users and features, every metric name a state keeps),
then stored as the snapshot of every account of a run, so a health process loads them as
it loads any account. The events that follow then land on full ledgers and sets: each new
ticket, invoice, user or feature drops the stalest kept one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.events import validate_event
from pulse.devtools.samples import rfc3339
from pulse.health.scoring.catalog import MAX_METRIC_NAMES
from pulse.health.scoring.lastseen import DEFAULT_LIMIT as DISTINCT_LIMIT
from pulse.health.scoring.ledger import DEFAULT_LIMIT as LEDGER_LIMIT
from pulse.health.scoring.state import AccountState
from pulse.health.storage import account_states

Raw = dict[str, Any]
#: Days before the run's events over which the filling events are spread.
FILL_DAYS = 20
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "chat", "phone", "web")
SNAPSHOTS_PER_STATEMENT = 50


def filling_events(account_id: str, end: datetime) -> list[Raw]:
    """Events that take an account to every limit, in time order, before `end`."""
    r = random.Random(7)
    made = [
        *(_ticket(n) for n in range(LEDGER_LIMIT)),
        *(_invoice(n, end, r) for n in range(LEDGER_LIMIT)),
        *(_usage(n) for n in range(DISTINCT_LIMIT)),
        *(_metric(n) for n in range(MAX_METRIC_NAMES)),
    ]
    start = end - timedelta(days=FILL_DAYS)
    step = (end - start) / len(made)
    return [
        {
            "type": kind,
            "account_id": account_id,
            "occurred_at": rfc3339(start + step * n),
            "source": "bench",
            "data": data,
        }
        for n, (kind, data) in enumerate(made)
    ]


def _ticket(n: int) -> tuple[str, Raw]:
    data = {
        "ticket_id": f"full-t{n}",
        "priority": PRIORITIES[n % 4],
        "channel": CHANNELS[n // 4 % 4],
    }
    return "support.ticket.opened", data


def _invoice(n: int, end: datetime, r: random.Random) -> tuple[str, Raw]:
    due = end + timedelta(days=r.randint(-60, 30))
    data = {
        "invoice_id": f"full-in{n}",
        "amount": f"{r.randint(100, 100_000) / 100:.2f}",
        "currency": "EUR",
        "due_at": rfc3339(due),
    }
    return "invoice.issued", data


def _usage(n: int) -> tuple[str, Raw]:
    return "usage.activity", {"user_id": f"full-u{n}", "feature": f"full-f{n}", "quantity": 1}


def _metric(n: int) -> tuple[str, Raw]:
    return "metric.recorded", {"name": f"full-m{n}", "value": n}


def state_at_limits(end: datetime) -> AccountState:
    """An account's state with every limit reached by events before `end`."""
    state = AccountState()
    for raw in filling_events("full", end):
        state.apply(validate_event(raw, now=end), end)
    return state


def snapshots(
    account_ids: Sequence[str],
    partition_of: dict[str, int],
    state: AccountState,
    model_version: str,
) -> Iterator[account_states.Snapshot]:
    """The snapshot of each account, all with `state`, as scored by `model_version` (so a
    process does not re-score them all when it loads them)."""
    state_json = orjson.dumps(state.to_dict())
    meta = {"score": None, "band": None, "model_version": model_version}
    text = account_states.snapshot_text(state_json, meta)
    for account_id in account_ids:
        yield account_states.Snapshot(account_id, partition_of[account_id], text, None)


async def save_at_limits(
    session: AsyncSession,
    account_ids: Sequence[str],
    partition_of: dict[str, int],
    end: datetime,
    model_version: str,
) -> int:
    """Store every account at its limits; the bytes of one account's state."""
    state = state_at_limits(end)
    rows = list(snapshots(account_ids, partition_of, state, model_version))
    for i in range(0, len(rows), SNAPSHOTS_PER_STATEMENT):
        await account_states.save_snapshots(session, rows[i : i + SNAPSHOTS_PER_STATEMENT])
    return len(orjson.dumps(state.to_dict()))
