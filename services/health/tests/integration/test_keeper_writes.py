"""The keeper's writes on a real PostgreSQL: one chunk of re-scores is written while the
next is scored, inside the batch's one transaction; snapshots and the changes after them
load back into exactly the accounts the keeper had in memory; re-scores deferred under a
backlog end in the scores of immediate ones, even across a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.samples import SampleEvents
from pulse.health.app import MIGRATIONS_DIR, SCHEMA
from pulse.health.keeping import applying, changes, rescoring
from pulse.health.keeping.changes import apply_input
from pulse.health.keeping.deferral import RescoreDeferral
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.keeping.loading import load_missing
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account
from pulse.health.storage import account_states

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ACCOUNTS = 12


@pytest.fixture
async def sessions(pulse_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    engine = create_engine(pulse_settings, schema=SCHEMA)
    factory = create_session_factory(engine)
    await _clear(factory)
    yield factory
    await _clear(factory)
    await engine.dispose()


async def test_scores_written_a_chunk_at_a_time_equal_those_written_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    records = _records()
    stored = []
    for chunk in (1, 5, 500):
        keeper = _keeper(chunk)
        async with sessions.begin() as session:
            await keeper.handle(session, records)
        stored.append(await _stored(sessions))
        await _clear(sessions)
    assert len(stored[0]) == ACCOUNTS
    assert stored[0] == stored[1] == stored[2]


async def test_a_failure_while_a_chunk_is_being_written_leaves_nothing_behind(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records()
    scored: list[int] = []

    def score_or_fail(model: Any, state: Any, as_of: datetime, read: Any = None) -> Any:
        scored.append(1)
        if len(scored) == ACCOUNTS // 2:  # the account before is being written right now
            raise RuntimeError("scoring failed")
        return score_account(model, state, as_of, read)

    keeper = _keeper(1)  # every re-score's writes start before the next account is scored
    monkeypatch.setattr(rescoring, "score_account", score_or_fail)
    with pytest.raises(RuntimeError, match="scoring failed"):
        async with sessions.begin() as session:
            await keeper.handle(session, records)
    assert await _stored(sessions) == {}  # the writes already made rolled back with the rest

    monkeypatch.setattr(rescoring, "score_account", score_account)
    keeper.recovery.mark_stale()  # as the consumer runner does after a failed batch
    async with sessions.begin() as session:
        await keeper.handle(session, records)
    reference = _keeper(500)
    stored = await _stored(sessions)
    await _clear(sessions)
    async with sessions.begin() as session:
        await reference.handle(session, records)
    assert stored == await _stored(sessions)


async def test_ids_claimed_a_chunk_at_a_time_apply_each_event_once(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _records()
    reference = _keeper(500)
    async with sessions.begin() as session:
        await reference.handle(session, records)
    expected = await _scores(sessions)
    await _clear(sessions)

    # Ids repeat within a chunk, across the chunks claimed while others are applied, and
    # across batches.
    monkeypatch.setattr(applying, "CLAIM_CHUNK", 7)
    keeper = _keeper(500)
    async with sessions.begin() as session:
        await keeper.handle(session, [*records[:200], *records[190:200], *records[:30]])
    async with sessions.begin() as session:
        await keeper.handle(session, [*records[150:], *records[:10]])
    assert await _scores(sessions) == expected
    for account_id in _account_ids(records):
        assert _in_memory(keeper, account_id)[0] == _in_memory(reference, account_id)[0]
    async with sessions() as session:
        claimed = await session.execute(text("SELECT count(*) FROM processed_events"))
    assert claimed.scalar() == len(records)


async def test_a_failure_while_ids_are_being_claimed_leaves_nothing_behind(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(applying, "CLAIM_CHUNK", 7)
    applied: list[int] = []

    def apply_or_fail(state: Any, item: Any, now: datetime) -> bool:
        applied.append(1)
        if len(applied) == 10:  # the next chunk's ids are being claimed right now
            raise RuntimeError("applying failed")
        return apply_input(state, item, now)

    monkeypatch.setattr(applying, "apply_input", apply_or_fail)
    with pytest.raises(RuntimeError, match="applying failed"):
        async with sessions.begin() as session:
            await _keeper(500).handle(session, _records())
    async with sessions() as session:
        claimed = await session.execute(text("SELECT count(*) FROM processed_events"))
    assert claimed.scalar() == 0


async def test_accounts_loaded_from_snapshots_and_changes_equal_those_kept_in_memory(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few steps between snapshots and a small decoded set: accounts are snapshotted again
    # mid-stream, on freezing, and left with changes after their snapshot at the end.
    monkeypatch.setattr(changes, "SNAPSHOT_AFTER_STEPS", 6)
    snapshotted: list[str] = []
    save_snapshots = account_states.save_snapshots

    async def counting(session: AsyncSession, rows: Sequence[Any]) -> None:
        snapshotted.extend(row.account_id for row in rows)
        await save_snapshots(session, rows)

    monkeypatch.setattr(account_states, "save_snapshots", counting)
    clock = [NOW]
    live = ScoreKeeper(
        model=default_model(), topics=Topics("t"), clock=lambda: clock[0], hot_limit=5
    )
    records = _records(events=600)
    for start in range(0, len(records), 40):
        async with sessions.begin() as session:
            await live.handle(session, records[start : start + 40])
        clock[0] += timedelta(hours=9)  # over midnights: windows move, ticks re-score
        async with sessions.begin() as session:
            await live.tick(session)
    assert len(snapshotted) > 2 * ACCOUNTS
    async with sessions() as session:
        remaining = (await session.execute(text("SELECT count(*) FROM account_changes"))).scalar()
    assert remaining

    by_partition = ScoreKeeper(model=default_model(), topics=Topics("t"), clock=lambda: NOW)
    on_demand = ScoreKeeper(model=default_model(), topics=Topics("t"), clock=lambda: NOW)
    async with sessions() as session:
        await by_partition.on_assigned(session, {TopicPartition("t", 0)})
        partition_of = {account_id: 0 for account_id in _account_ids(records)}
        await load_missing(session, partition_of, on_demand._accounts, on_demand._due)
    for account_id in _account_ids(records):
        expected = _in_memory(live, account_id)
        assert _in_memory(by_partition, account_id) == expected
        assert _in_memory(on_demand, account_id) == expected


def _account_ids(records: Sequence[Record[Incoming]]) -> set[str]:
    return {record.value.account_id for record in records}


def _in_memory(keeper: ScoreKeeper, account_id: str) -> tuple[Any, ...]:
    account = keeper._accounts.get(account_id)
    assert account is not None
    return account.state.to_dict(), account.meta(), account.next_due


def _keeper(write_chunk: int) -> ScoreKeeper:
    return ScoreKeeper(
        model=default_model(), topics=Topics("t"), clock=lambda: NOW, write_chunk=write_chunk
    )


def _records(events: int = 300) -> list[Record[Incoming]]:
    validated = [validate_event(r) for r in SampleEvents(accounts=ACCOUNTS).mixed(events)]
    return [
        Record(ConsumedMessage("t", 0, offset, None, None, 0, ()), event)
        for offset, event in enumerate(validated)
    ]


async def _stored(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Sequence[Any]]:
    """Per account: its score row, state and the count of its history and outbox rows."""
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT s.account_id, s.score, s.band, s.components::text, a.state::text, "
                "(SELECT count(*) FROM score_history h WHERE h.account_id = s.account_id), "
                "(SELECT count(*) FROM outbox o WHERE o.key = convert_to(s.account_id, 'UTF8')) "
                "FROM scores s JOIN account_states a USING (account_id)"
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


async def _clear(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await session.execute(
            text(
                "TRUNCATE account_states, account_changes, archived_steps, scores, "
                "score_history, outbox, processed_events, consumer_offsets"
            )
        )


# -- re-scores deferred while a backlog drains -------------------------------------------


async def test_deferred_rescores_end_in_the_scores_of_immediate_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    records = _records(events=600)
    immediate = _keeper(500)
    for start in range(0, len(records), 100):
        async with sessions.begin() as session:
            await immediate.handle(session, records[start : start + 100])
    expected = await _scores(sessions)
    await _clear(sessions)

    waiting = [len(records)]
    deferring = ScoreKeeper(
        model=default_model(),
        topics=Topics("t"),
        clock=lambda: NOW,
        deferral=RescoreDeferral(backlog=lambda: waiting[0], min_backlog=100),
    )
    for start in range(0, len(records) - 100, 100):
        waiting[0] = len(records) - start - 100
        async with sessions.begin() as session:
            await deferring.handle(session, records[start : start + 100])
    assert await _scores(sessions) == {}  # nothing scored while the backlog drained
    async with sessions() as session:
        held = await session.execute(text("SELECT bool_or(rescored) FROM account_changes"))
    assert held.scalar() is False
    waiting[0] = 0
    async with sessions.begin() as session:
        await deferring.handle(session, records[-100:])  # caught up: every account scored
    assert len(expected) == ACCOUNTS
    assert await _scores(sessions) == expected


async def test_an_account_deferred_at_a_crash_is_rescored_at_once_after_loading(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    records = _records()
    reference = _keeper(500)
    for batch in (records[:150], records[150:]):
        async with sessions.begin() as session:
            await reference.handle(session, batch)
    expected = await _scores(sessions)
    await _clear(sessions)

    clock, waiting = [NOW], [0]
    crashed = ScoreKeeper(
        model=default_model(),
        topics=Topics("t"),
        clock=lambda: clock[0],
        deferral=RescoreDeferral(backlog=lambda: waiting[0], defer_s=5),
    )
    async with sessions.begin() as session:
        await crashed.handle(session, records[:150])  # scored at once
    waiting[0] = 10_000
    async with sessions.begin() as session:
        await crashed.handle(session, records[150:])  # deferred; the process dies after it
    woken: list[int] = []
    restarted = ScoreKeeper(
        model=default_model(),
        topics=Topics("t"),
        clock=lambda: clock[0],
        on_due_now=lambda: woken.append(1),
    )
    clock[0] = NOW + timedelta(seconds=1)  # restarted before the deferral's deadline
    async with sessions() as session:
        await restarted.on_assigned(session, {TopicPartition("t", 0)})
    for account_id in _account_ids(records):
        loaded = _in_memory(restarted, account_id)
        assert loaded[0] == _in_memory(crashed, account_id)[0]  # replayed with no prune
        assert loaded[2] == NOW  # applied, not scored: due since the deferred batch
    assert woken  # the ticker need not wait for its next tick
    assert restarted.has_due()
    async with sessions.begin() as session:
        assert await restarted.tick(session) == ACCOUNTS
    assert await _scores(sessions) == expected


async def test_a_backlog_lasting_past_the_deadline_still_gets_scores(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    records = _records()
    clock = [NOW]
    keeper = ScoreKeeper(
        model=default_model(),
        topics=Topics("t"),
        clock=lambda: clock[0],
        deferral=RescoreDeferral(backlog=lambda: 10_000, defer_s=5),
    )
    async with sessions.begin() as session:
        await keeper.handle(session, records[:150])
    assert await _scores(sessions) == {}
    clock[0] += timedelta(seconds=5)
    async with sessions.begin() as session:
        await keeper.handle(session, records[150:])  # still behind, but the deadline passed
    assert len(await _scores(sessions)) == ACCOUNTS


async def _scores(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT account_id, score, band, components::text FROM scores")
        )
        return {row[0]: tuple(row[1:]) for row in rows}


async def test_deferred_accounts_a_failed_batch_scored_are_scored_again_after_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Accounts deferred on partition 0 are re-scored by a batch of partition 1 whose
    # transaction then fails at commit: the runner reloads only partition 1.
    records = _records()
    accounts = sorted(_account_ids(records))
    moved = set(accounts[::2])
    on_one = [_on_partition(r, 1) for r in records if r.value.account_id in moved]
    on_zero = [r for r in records if r.value.account_id not in moved]
    waiting = [10_000]
    keeper = ScoreKeeper(
        model=default_model(),
        topics=Topics("t"),
        clock=lambda: NOW,
        deferral=RescoreDeferral(backlog=lambda: waiting[0]),
    )
    async with sessions() as session:
        await keeper.on_assigned(session, {TopicPartition("t", 0), TopicPartition("t", 1)})
    async with sessions.begin() as session:
        await keeper.handle(session, on_zero)  # deferred
    waiting[0] = 0
    async with sessions() as session, session.begin():
        await keeper.handle(session, on_one)  # scores partition 0's deferred accounts too
        await session.rollback()  # as when the commit fails
    await keeper.on_revoked({TopicPartition("t", 1)})  # as the runner recovers
    async with sessions() as session:
        await keeper.on_assigned(session, {TopicPartition("t", 1)})
    async with sessions.begin() as session:
        await keeper.handle(session, on_one)
    async with sessions.begin() as session:
        await keeper.tick(session)
    assert sorted(await _scores(sessions)) == accounts


async def test_memory_is_stale_from_a_tick_until_its_transaction_commits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    keeper = _keeper(500)
    async with sessions() as session, session.begin():
        await keeper.tick(session)
        assert keeper.recovery.stale
        await session.rollback()  # as when the commit fails
    assert keeper.recovery.stale
    async with sessions.begin() as session:
        await keeper.tick(session)  # reloads first
    assert not keeper.recovery.stale


def _on_partition(record: Record[Incoming], partition: int) -> Record[Incoming]:
    message = record.message
    moved = ConsumedMessage(message.topic, partition, message.offset, None, None, 0, ())
    return Record(moved, record.value)
