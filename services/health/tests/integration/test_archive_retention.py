"""The step archive's retention on a real PostgreSQL: steps older than the cutoff go,
except each account's latest state at or before it and every step after that; an account
with no early state keeps everything; a replay from the cutoff scores the same over the
pruned archive as over the whole one; pruners running at once delete what one would; the
running service prunes on its own (possibly simulated) clock and exposes the metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.samples import SampleEvents
from pulse.health.app import MIGRATIONS_DIR, SCHEMA
from pulse.health.backtest.replay import Replay, replay_account
from pulse.health.keeping import changes, rescoring
from pulse.health.keeping.archive_retention import keep_archive_pruned, prune_archive
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model
from pulse.health.storage.step_archive import ArchivedStep, stream_accounts

from .conftest import StackFactory

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 2, 8, tzinfo=UTC)
CUTOFF = START + timedelta(days=4, hours=3)
ACCOUNTS = 12
#: An account made to have no state at or before the cutoff (as one archived only
#: after its history had begun).
LEGACY = "acct-00003"
#: A state as SQL (what it holds does not matter to pruning).
STATE = "'{}'::json"
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Row:
    """What pruning judges an archived step by."""

    seq: int
    account_id: str
    at: datetime
    has_state: bool


@pytest.fixture
async def engine(pulse_settings: Settings) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    engine = create_engine(pulse_settings, schema=SCHEMA)
    await _clear(engine)
    yield engine
    await _clear(engine)
    await engine.dispose()


@pytest.fixture
async def archived(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Eight days of a keeper's steps over 12 accounts, with a snapshot every few steps,
    a state archived daily, and the ticker's re-scores between batches; the moment after
    the last step."""
    monkeypatch.setattr(changes, "SNAPSHOT_AFTER_STEPS", 6)
    monkeypatch.setattr(rescoring, "ARCHIVED_STATE_EVERY_DAYS", 1)
    clock = [START]
    keeper = ScoreKeeper(
        model=default_model(), topics=Topics("t"), clock=lambda: clock[0], hot_limit=5
    )
    samples = SampleEvents(seed=3, accounts=ACCOUNTS)
    sessions = create_session_factory(engine)
    for batch in range(22):
        samples.now = clock[0]
        records: list[Record[Incoming]] = [
            Record(ConsumedMessage("t", 0, batch * 30 + n, None, None, 0, ()), validate_event(e))
            for n, e in enumerate(samples.mixed(30))
        ]
        async with sessions.begin() as session:
            await keeper.handle(session, records)
        clock[0] += timedelta(hours=9)  # over midnights: windows move, ticks re-score
        async with sessions.begin() as session:
            await keeper.tick(session)
    async with engine.begin() as connection:  # the legacy account's early steps: no state
        await connection.execute(
            text("UPDATE archived_steps SET state = NULL WHERE account_id = :a AND at <= :c"),
            {"a": LEGACY, "c": CUTOFF},
        )
    return clock[0]


async def test_pruning_keeps_the_latest_early_state_and_every_step_after_it(
    engine: AsyncEngine, archived: datetime
) -> None:
    before = await _rows(engine)
    expected = _needed_by_a_replay_from(CUTOFF, before)
    assert len(expected) < len(before)

    deleted = await prune_archive(
        create_session_factory(engine), CUTOFF, accounts_per_chunk=5, rows_per_delete=7
    )

    after = await _rows(engine)
    assert {row.seq for row in after} == expected
    assert deleted == len(before) - len(after)
    legacy = [row for row in before if row.account_id == LEGACY]
    assert any(row.at < CUTOFF for row in legacy)
    assert [row for row in after if row.account_id == LEGACY] == legacy
    for account_id in {row.account_id for row in after} - {LEGACY}:
        kept = [row for row in after if row.account_id == account_id]
        early_states = [row for row in kept if row.has_state and row.at <= CUTOFF]
        assert early_states == [kept[0]]  # where a replay from the cutoff starts
    # Nothing left to delete: a second round deletes nothing.
    assert await prune_archive(create_session_factory(engine), CUTOFF) == 0


async def test_a_replay_from_the_cutoff_scores_the_same_over_the_pruned_archive(
    engine: AsyncEngine, archived: datetime
) -> None:
    end = archived + timedelta(days=1)
    moments = [CUTOFF + timedelta(hours=hours) for hours in range(0, 24 * 5, 5)]
    whole = await _replays(engine, CUTOFF, end, moments)
    from_the_first_state = await _replays(engine, START, end, moments)

    assert await prune_archive(create_session_factory(engine), CUTOFF) > 0

    pruned = await _replays(engine, CUTOFF, end, moments)
    assert len(pruned) == ACCOUNTS
    assert sorted(pruned) == sorted(whole)
    for account_id, replay in pruned.items():
        for reference in (whole[account_id], from_the_first_state[account_id]):
            assert replay.as_of == reference.as_of
            assert _after(CUTOFF, replay) == _after(CUTOFF, reference)
    assert any(_after(CUTOFF, replay) for replay in pruned.values())


async def test_pruners_running_at_once_delete_what_one_would(
    engine: AsyncEngine, archived: datetime
) -> None:
    before = await _rows(engine)
    expected = _needed_by_a_replay_from(CUTOFF, before)
    sessions = create_session_factory(engine)

    deleted = await asyncio.gather(
        *(prune_archive(sessions, CUTOFF, accounts_per_chunk=3, rows_per_delete=4) for _ in "abc")
    )

    assert {row.seq for row in await _rows(engine)} == expected
    assert sum(deleted) == len(before) - len(expected)  # each row deleted once


async def test_the_retention_loop_prunes_by_health_clock_and_measures_the_archive(
    engine: AsyncEngine, archived: datetime
) -> None:
    before = await _rows(engine)
    expected = _needed_by_a_replay_from(CUTOFF, before)
    deleted_before = _sample("pulse_health_archive_rows_deleted_total")
    days = 30
    loop = asyncio.create_task(
        keep_archive_pruned(
            create_session_factory(engine), lambda: CUTOFF + timedelta(days=days), days, 3600
        )
    )
    try:
        for _ in range(600):  # until its first round has pruned, then measured
            if _sample("pulse_health_archive_bytes") > 0:
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    remaining = await _rows(engine)
    assert {row.seq for row in remaining} == expected
    deleted = _sample("pulse_health_archive_rows_deleted_total") - deleted_before
    assert deleted == len(before) - len(remaining) > 0
    async with engine.connect() as connection:
        size = await connection.execute(
            text("SELECT pg_total_relation_size('archived_steps'::regclass)")
        )
    assert _sample("pulse_health_archive_bytes") == size.scalar_one()


@pytest.mark.usefixtures("engine")  # an empty archive
async def test_health_prunes_its_archive_by_its_own_clock(health_stack: StackFactory) -> None:
    async with health_stack(archive_days=30, archive_prune_s=0.2) as stack:
        stack.clock.advance(timedelta(days=100))  # by the wall clock, nothing is 30 days old
        now = int(stack.clock().timestamp())
        steps = [(40, True), (35, False), (32, True), (31, False), (5, False)]
        rows = [
            f"('acct-aged', to_timestamp({now - days * DAY_S}), "
            f"'\\x00', true, {STATE if state else 'NULL'})"
            for days, state in steps
        ]
        await stack.sql(
            "INSERT INTO archived_steps (account_id, at, inputs, rescored, state) VALUES "
            + ", ".join(rows)
        )
        kept: list[int] = []
        for _ in range(600):  # until a round of the running service has pruned
            kept = await stack.sql(
                "SELECT extract(epoch FROM at)::bigint FROM archived_steps "
                "WHERE account_id = 'acct-aged' ORDER BY seq"
            )
            if len(kept) < len(steps):
                break
            await asyncio.sleep(0.1)
        assert kept == [now - days * DAY_S for days in (32, 31, 5)]
        response = await stack.health.get("/metrics")
        exposed = {
            sample.name: sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }
        assert exposed["pulse_health_archive_rows_deleted_total"] >= 2
        assert "pulse_health_archive_bytes" in exposed


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def _needed_by_a_replay_from(cutoff: datetime, rows: Sequence[Row]) -> set[int]:
    """The reference: per account, everything from its latest state at or before
    `cutoff`, or everything when it has none."""
    kept: set[int] = set()
    for account_id in {row.account_id for row in rows}:
        own = [row for row in rows if row.account_id == account_id]
        starts = [row.seq for row in own if row.has_state and row.at <= cutoff]
        first = max(starts) if starts else own[0].seq
        kept.update(row.seq for row in own if row.seq >= first or row.at >= cutoff)
    return kept


async def _rows(engine: AsyncEngine) -> list[Row]:
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT seq, account_id, at, state IS NOT NULL FROM archived_steps "
                "ORDER BY account_id, seq"
            )
        )
        return [Row(*row) for row in found]


async def _replays(
    engine: AsyncEngine, start: datetime, end: datetime, moments: Sequence[datetime]
) -> dict[str, Replay]:
    """Each account replayed with the default model from its latest state at or before
    `start`, as a backtest reads it."""
    replays: dict[str, Replay] = {}
    async with engine.connect() as connection:
        async for chunk in stream_accounts(connection, start, end, schema=SCHEMA):
            for account in chunk:
                steps: list[ArchivedStep] = account.steps
                replays[account.account_id] = replay_account(default_model(), steps, end, moments)
    return replays


def _after(cutoff: datetime, replay: Replay) -> list[tuple[datetime, float, str]]:
    return [(c.at, c.score, c.band) for c in replay.changes if c.at > cutoff]


async def _clear(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "TRUNCATE account_states, account_changes, archived_steps, scores, "
                "score_history, outbox, processed_events, consumer_offsets "
                "RESTART IDENTITY"
            )
        )
