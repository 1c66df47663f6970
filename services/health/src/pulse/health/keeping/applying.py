"""Applying a batch's records to the cached state of their accounts, once per event id.

PostgreSQL claims the ids of one chunk of records while Python applies the chunk before
(claiming a batch's ids at once took about a fifth of a batch's time, waiting), all in
the batch's one transaction.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.dedupe import claim_new_event_ids
from pulse.common.foreground import StepAside, yield_now
from pulse.common.kafka.records import Record
from pulse.health import metrics
from pulse.health.keeping.cache import AccountCache, CachedAccount
from pulse.health.keeping.changes import apply_input, encode_input
from pulse.health.keeping.ignored import (
    IgnoredInputs,
    IgnoreReason,
    example,
    input_type,
    read_by,
    why_refused,
)
from pulse.health.messages import Incoming
from pulse.health.scoring.model import ScoringModel

#: Records applied between chances for HTTP requests to run (~20 µs each).
YIELD_EVERY_RECORDS = 256
#: Records whose ids are claimed per statement.
CLAIM_CHUNK = 2_000

#: Accounts touched by a batch, and the inputs each applied as its change keeps them.
Applied = tuple[dict[str, CachedAccount], dict[str, list[bytes]]]


async def apply_batch(
    session: AsyncSession,
    records: Sequence[Record[Incoming]],
    now: datetime,
    accounts: AccountCache,
    model: ScoringModel,
    ignored: IgnoredInputs,
    step_aside: StepAside = yield_now,
) -> Applied:
    """Claim the records' event ids and apply those not seen before to their accounts (all
    loaded in `accounts`); the accounts touched, and the inputs each applied, as its
    change keeps them (see `changes`). `step_aside` is awaited between slices of records."""
    touched: dict[str, CachedAccount] = {}
    inputs: dict[str, list[bytes]] = {}
    chunks = [records[i : i + CLAIM_CHUNK] for i in range(0, len(records), CLAIM_CHUNK)]
    chunks = chunks or [records]
    claiming = asyncio.ensure_future(_claim(session, chunks[0]))
    try:
        for number, chunk in enumerate(chunks, 1):
            fresh = await claiming
            if number < len(chunks):
                claiming = asyncio.ensure_future(_claim(session, chunks[number]))
            applied = (touched, inputs)
            await _apply_chunk(chunk, fresh, now, accounts, model, ignored, applied, step_aside)
    except BaseException:
        # Let the claim in flight finish: the caller rolls back next, which must not race
        # it on the connection.
        await asyncio.gather(claiming, return_exceptions=True)
        raise
    return touched, inputs


async def _claim(
    session: AsyncSession, records: Sequence[Record[Incoming]]
) -> set[tuple[str, str]]:
    """Claim the records' (account, event id) pairs; the ones not seen before."""
    return await claim_new_event_ids(session, ((r.value.account_id, r.value.id) for r in records))


async def _apply_chunk(
    records: Sequence[Record[Incoming]],
    fresh: set[tuple[str, str]],
    now: datetime,
    accounts: AccountCache,
    model: ScoringModel,
    ignored: IgnoredInputs,
    applied_so_far: Applied,
    step_aside: StepAside,
) -> None:
    touched, inputs = applied_so_far
    # Counted here and added to the metrics once per type: labels() per event costs more
    # than applying some events.
    applied: Counter[str] = Counter()
    skipped: Counter[tuple[str, str]] = Counter()
    examples: dict[str, dict[str, str]] = {}
    scored_types = read_by(model)
    limits_hit: Counter[str] = Counter()
    duplicates = 0
    for count, record in enumerate(records, 1):
        if count % YIELD_EVERY_RECORDS == 0:
            await step_aside()  # let HTTP requests in during a large batch
        item = record.value
        account_id = item.account_id
        claimed = (account_id, item.id)
        if claimed not in fresh:
            duplicates += 1  # already applied
            continue
        fresh.discard(claimed)  # the same id twice in one batch
        account = touched.get(account_id)
        if account is None:
            account = accounts.get(account_id)
            assert account is not None  # loaded before the batch is applied
            accounts.used(account)  # decoded below, even if nothing changes
            touched[account_id] = account
            inputs[account_id] = []
            account.state.take_limits_hit()  # a replay at load repeats hits counted live
        # Even an event too late to count moves the state's clock: it is kept in the
        # account's change like the others, so that a replay ends in the same state.
        inputs[account_id].append(encode_input(item, record.message.value))
        kind = input_type(item)
        counts = apply_input(account.state, item, now)
        if hits := account.state.take_limits_hit():
            limits_hit.update(hits)
        if counts:
            account.changed(model, kind)
            if kind in scored_types:
                applied[kind] += 1
                continue
            reason: IgnoreReason = "not_in_model"  # kept for a model that reads it
        else:
            reason = why_refused(item, account.state, now)
        skipped[kind, reason] += 1
        if reason not in examples:
            examples[reason] = example(item)
    metrics.EVENTS_DUPLICATE.inc(duplicates)
    for kind, n in applied.items():
        metrics.EVENTS_APPLIED.labels(kind).inc(n)
    for limit, n in limits_hit.items():
        metrics.LIMITS_HIT.labels(limit).inc(n)
    ignored.add(skipped, examples)
