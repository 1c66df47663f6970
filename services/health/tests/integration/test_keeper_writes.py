"""The keeper's chunked writes on a real PostgreSQL: one chunk of re-scores is written while
the next is scored, inside the batch's one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.samples import SampleEvents
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.health import keeper as keeper_module
from pulse.health.app import MIGRATIONS_DIR, SCHEMA
from pulse.health.keeper import HealthKeeper
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account

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
    monkeypatch.setattr(keeper_module, "score_account", score_or_fail)
    with pytest.raises(RuntimeError, match="scoring failed"):
        async with sessions.begin() as session:
            await keeper.handle(session, records)
    assert await _stored(sessions) == {}  # the writes already made rolled back with the rest

    monkeypatch.setattr(keeper_module, "score_account", score_account)
    keeper.mark_stale()  # as the consumer runner does after a failed batch
    async with sessions.begin() as session:
        await keeper.handle(session, records)
    reference = _keeper(500)
    stored = await _stored(sessions)
    await _clear(sessions)
    async with sessions.begin() as session:
        await reference.handle(session, records)
    assert stored == await _stored(sessions)


def _keeper(write_chunk: int) -> HealthKeeper:
    return HealthKeeper(
        model=default_model(), topics=Topics("t"), clock=lambda: NOW, write_chunk=write_chunk
    )


def _records() -> list[Record[Incoming]]:
    events = [validate_event(raw) for raw in SampleEvents(accounts=ACCOUNTS).mixed(300)]
    return [
        Record(ConsumedMessage("t", 0, offset, None, None, 0, ()), event)
        for offset, event in enumerate(events)
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
                "TRUNCATE account_states, scores, score_history, outbox, processed_events, "
                "consumer_offsets"
            )
        )
