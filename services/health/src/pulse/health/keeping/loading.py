"""Loading owned accounts from PostgreSQL into the cache: every account of newly owned
partitions, or the accounts a batch names that are not cached yet. Each is rebuilt from
its snapshot and the changes after it (see `changes`)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.health import metrics
from pulse.health.keeping.cache import AccountCache, CachedAccount, freeze
from pulse.health.keeping.changes import replay
from pulse.health.keeping.due import DueQueue
from pulse.health.scoring.state import AccountState
from pulse.health.storage import account_states

log = logging.getLogger(__name__)


async def load_partitions(
    session: AsyncSession,
    numbers: set[int],
    cache: AccountCache,
    due: DueQueue,
    model_version: str,
    now: datetime,
) -> int:
    """Load every account of those partitions frozen, as stored: none is scored here (a
    rebalance must be quick); those with changes after their snapshot are decoded to replay
    them (usually only the accounts the previous owner kept decoded: it snapshots those it
    freezes). Those scored by another model, or with events applied but not scored yet (a
    deferred re-score), are due at `now`; the rest when stored. How many are due at `now`."""
    loaded = by_another_model = due_now = 0
    changes = await account_states.partition_changes(session, numbers)
    async for rows in account_states.stream_partitions(session, numbers):
        for row in rows:
            account = CachedAccount(
                row.account_id,
                row.partition,
                frozen=freeze(row.state_json),
                meta=row.meta,
                next_due=row.next_change_at,
            )
            catch_up(account, changes.get(row.account_id, []))  # decodes if any
            cache.add(account)
            if account.model_version != model_version:
                account.next_due = now  # scored by another model: re-score now
                by_another_model += 1
            due.track(account)
            if account.next_due is not None and account.next_due <= now:
                due_now += 1
        loaded += len(rows)
        # Replayed accounts beyond the decoded limit are frozen again. Their changes stay
        # in PostgreSQL until a re-score snapshots them (memory matches it).
        cache.freeze_coldest()
    metrics.CACHED_ACCOUNTS.set(len(cache))
    log.info(
        "loaded accounts",
        extra={
            "partitions": sorted(numbers),
            "loaded": loaded,
            "cached": len(cache),
            "scored_by_another_model": by_another_model,
            "due_now": due_now,
        },
    )
    return due_now


async def load_missing(
    session: AsyncSession, partition_of: dict[str, int], cache: AccountCache, due: DueQueue
) -> None:
    """Cache the accounts of `partition_of` that are not cached yet: as stored, or new and
    empty when nothing is stored."""
    missing = [a for a in partition_of if cache.get(a) is None]
    if not missing:
        return
    stored = await account_states.load_accounts(session, missing)
    changes = await account_states.load_changes(session, stored)
    for account_id in missing:
        row = stored.get(account_id)
        if row is None:
            cache.add(CachedAccount(account_id, partition_of[account_id], AccountState()))
            continue
        account = from_rows(row, changes.get(account_id, []))
        cache.add(account)
        due.track(account)  # due on time even if no event here changes it


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
