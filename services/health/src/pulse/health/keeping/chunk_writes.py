"""What re-scores write, gathered a chunk of accounts at a time (an account's state as a
change or a snapshot, its score, history points, `pulse.health.scores` events), and
writing one chunk while the next is scored, all in the caller's one transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.foreground import StepAside
from pulse.common.kafka.outbox import add_to_outbox
from pulse.common.kafka.producer import OutgoingMessage
from pulse.health import metrics
from pulse.health.keeping.cache import AccountCache, CachedAccount
from pulse.health.storage import account_states, score_writes, step_archive

#: Longest the keeper scores before stepping aside for HTTP requests. By time, not by
#: count: how long an account takes varies widely with what it holds and the machine.
YIELD_AFTER_S = 0.002


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
    archive: list[dict[str, Any]] = field(default_factory=list)

    def add_snapshot(self, account: CachedAccount, state_json: bytes | None = None) -> bytes:
        """The account's `account_states` row (`state_json`: its state's JSON, when the
        caller has it); the state's JSON."""
        if state_json is None:
            state_json = orjson.dumps(account.state.to_dict())
        self.snapshots.append(
            account_states.Snapshot(
                account.account_id,
                account.partition,
                account_states.snapshot_text(state_json, account.meta()),
                account.next_due,
            )
        )
        return state_json

    def archive_step(
        self,
        account: CachedAccount,
        at: datetime,
        inputs: bytes,
        rescored: bool,
        state_json: bytes | None = None,
    ) -> None:
        """The account's `archived_steps` row: `inputs` applied at `at`, re-scored after
        them or not, and the state after the step when a snapshot was written."""
        self.archive.append(
            {
                "account_id": account.account_id,
                "at": at,
                "inputs": inputs,
                "rescored": rescored,
                "state": None if state_json is None else state_json.decode(),
            }
        )

    def add_change(
        self, account: CachedAccount, at: datetime, inputs: bytes, rescored: bool = True
    ) -> None:
        """The account's `account_changes` row of `inputs` applied at `at` (see `changes`),
        with what the last scoring said; `rescored`: whether a re-score followed them at
        once."""
        self.changes.append(
            {
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
        )

    async def save(self, session: AsyncSession) -> None:
        """Write them in the caller's transaction: one statement per table."""
        # Changes first: a snapshot drops every change of its account before it.
        await account_states.add_changes(session, self.changes)
        await account_states.save_snapshots(session, self.snapshots)
        await score_writes.save_scores(session, self.scores)
        await score_writes.add_history(session, self.history)
        await add_to_outbox(session, self.outbox)
        await step_archive.add_steps(session, self.archive)


#: Adds one account's rows to a chunk of writes.
Step = Callable[[CachedAccount, ChunkWrites], None]


async def write_each(
    session: AsyncSession,
    accounts: Iterable[CachedAccount],
    step: Step,
    *,
    cache: AccountCache,
    chunk: int,
    step_aside: StepAside,
) -> int:
    """`step` adds each account's rows to a chunk of writes; PostgreSQL writes a chunk on
    its core while Python works on the next (statements still go one at a time, in the
    caller's one transaction). Accounts that then leave the decoded set of `cache` are
    snapshotted. How many accounts were stepped."""
    count = 0
    writes = ChunkWrites()
    writing: asyncio.Task[None] | None = None
    slice_started = time.perf_counter()
    try:
        for account in accounts:
            count += 1
            if time.perf_counter() - slice_started >= YIELD_AFTER_S:
                await step_aside()  # let HTTP requests (and a pending write) run
                slice_started = time.perf_counter()
            step(account, writes)
            if len(writes) >= chunk:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(writes.save(session))
                writes = ChunkWrites()
        if writing is not None:
            await writing
        # Accounts leaving the decoded set are snapshotted: a partition load then replays
        # changes only for accounts that were decoded (see `loading`).
        for account, state_json in cache.freeze_coldest():
            if account.steps_since_snapshot != 0:
                writes.add_snapshot(account, state_json)
                account.steps_since_snapshot = 0
        await writes.save(session)
    except BaseException:
        if writing is not None:
            # Let the statement in flight finish (its outcome no longer matters): the
            # caller rolls back next, which must not race it on the connection.
            await asyncio.gather(writing, return_exceptions=True)
        raise
    metrics.CACHED_ACCOUNTS.set(len(cache))
    metrics.DECODED_ACCOUNTS.set(cache.hot)
    return count
