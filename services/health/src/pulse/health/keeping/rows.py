"""The rows the keeper reads and writes: an account's stored state (a snapshot and the
changes after it), and what a re-score writes (a change or a snapshot, score, history
point, `pulse.health.scores` event), gathered a chunk at a time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.kafka.outbox import add_to_outbox
from pulse.common.kafka.producer import OutgoingMessage
from pulse.health.keeping.cache import CachedAccount
from pulse.health.keeping.changes import KEPT_ITEMS_PER_STEP, SNAPSHOT_AFTER_STEPS, replay
from pulse.health.scoring.score import AccountScore, drivers
from pulse.health.scoring.state import AccountState
from pulse.health.storage import account_states

#: Moves smaller than this since the last history point add none (unless the band changes).
HISTORY_MIN_MOVE = 1.0
#: Drivers carried by each `pulse.health.scores` event.
TOP_DRIVERS = 3


def snapshot(account: CachedAccount, state_json: bytes | None = None) -> account_states.Snapshot:
    """The `account_states` row of a cached account (`state_json`: its state's JSON, when
    the caller has it)."""
    if state_json is None:
        state_json = orjson.dumps(account.state.to_dict())
    return account_states.Snapshot(
        account.account_id,
        account.partition,
        account_states.snapshot_text(state_json, account.meta()),
        account.next_due,
    )


def change_row(
    account: CachedAccount, at: datetime, inputs: bytes, rescored: bool = True
) -> dict[str, Any]:
    """The `account_changes` row of `inputs` applied at `at` (see `changes`), with what
    the last scoring said; `rescored`: whether a re-score followed them at once."""
    return {
        "account_id": account.account_id,
        "partition": account.partition,
        "at": at,
        "inputs": inputs,
        "score": account.score,
        "band": account.band,
        "model_version": account.model_version,
        "history_score": account.history_score,
        "history_day": account.history_day,
        "next_change_at": account.next_due,
        "rescored": rescored,
    }


def add_state(
    account: CachedAccount, at: datetime, inputs: list[bytes], rescored: bool, writes: ChunkWrites
) -> None:
    """Add the account's stored state to `writes`: a change holding `inputs` (applied at
    `at`, then pruned and re-scored if `rescored`), or a new snapshot once its changes
    would replay too many steps."""
    steps = account.steps_since_snapshot
    steps = None if steps is None else steps + len(inputs) + rescored  # rescored: a prune
    most = max(SNAPSHOT_AFTER_STEPS, account.state.kept_items() // KEPT_ITEMS_PER_STEP)
    if steps is None or steps > most:
        writes.snapshots.append(snapshot(account))
        account.steps_since_snapshot = 0
    else:
        writes.changes.append(change_row(account, at, b"".join(inputs), rescored))
        account.steps_since_snapshot = steps


def from_rows(
    row: account_states.StoredAccount, changes: list[account_states.StoredChange]
) -> CachedAccount:
    """A decoded cached account from its snapshot and the changes after it."""
    body = row.state
    state = AccountState.from_dict(body["state"])
    account = CachedAccount(
        row.account_id, row.partition, state, meta=body, next_due=row.next_change_at
    )
    catch_up(account, changes)
    return account


def catch_up(account: CachedAccount, changes: list[account_states.StoredChange]) -> None:
    """Bring an account loaded from its snapshot up to date with the changes after it
    (decoding its state if there are some)."""
    account.steps_since_snapshot = 0
    if changes:
        state = account.state
        account.steps_since_snapshot = sum(
            replay(state, c.at, c.inputs, c.rescored) for c in changes
        )
        last = changes[-1]
        account.remember(last.meta, last.next_change_at)
        if not last.rescored:
            account.next_due = last.at  # applied but never scored (deferred): due at once


def score_row(
    account: CachedAccount, result: AccountScore, components: str, now: datetime
) -> dict[str, Any]:
    """The `scores` row of a re-score (`components` as JSON text)."""
    return {
        "account_id": account.account_id,
        "score": result.score,
        "band": result.band,
        "segment": result.segment,
        "owner": account.state.owner,
        "model_version": result.model_version,
        "computed_at": now,
        "components": components,
    }


def history_point(
    account_id: str, result: AccountScore, components: str, now: datetime
) -> dict[str, Any]:
    """The `score_history` row of a re-score (`components` as JSON text)."""
    return {
        "account_id": account_id,
        "at": now,
        "score": result.score,
        "band": result.band,
        "model_version": result.model_version,
        "components": components,
    }


def score_message(
    topic: str,
    account: CachedAccount,
    result: AccountScore,
    previous_score: float | None,
    previous_band: str | None,
    now: datetime,
) -> tuple[str, OutgoingMessage]:
    """(stable id, message) of the `pulse.health.scores` event of a changed score."""
    body = {
        "account_id": account.account_id,
        "score": result.score,
        "band": result.band,
        "previous_score": previous_score,
        "previous_band": previous_band,
        "segment": result.segment,
        "model_version": result.model_version,
        "computed_at": now,
        "top_drivers": drivers(result.components, None, "now", TOP_DRIVERS),
    }
    digest = hashlib.sha256(
        orjson.dumps([account.account_id, now, result.score, result.model_version])
    ).hexdigest()[:32]
    message_id = f"hs_{digest}"
    value = orjson.dumps({"id": message_id, **body}, option=orjson.OPT_UTC_Z)
    return message_id, OutgoingMessage(topic, account.account_id.encode(), value)


@dataclass(slots=True)
class ChunkWrites:
    """Rows a chunk of re-scores writes."""

    def __len__(self) -> int:
        """How many accounts' states it writes."""
        return len(self.snapshots) + len(self.changes)

    snapshots: list[account_states.Snapshot] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[tuple[str, OutgoingMessage]] = field(default_factory=list)

    async def save(self, session: AsyncSession) -> None:
        """Write them in the caller's transaction: one statement per table."""
        # Changes first: a snapshot drops every change of its account before it.
        await account_states.add_changes(session, self.changes)
        await account_states.save_snapshots(session, self.snapshots)
        await account_states.save_scores(session, self.scores)
        await account_states.add_history(session, self.history)
        await add_to_outbox(session, self.outbox)
