"""Claiming event ids on a real PostgreSQL: each (account, event id) pair is new once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from pulse.common.db.dedupe import claim_new_event_ids
from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.tables import metadata
from pulse.common.settings import Settings

pytestmark = pytest.mark.integration

SCHEMA = "dedupe_test"


@pytest.fixture
async def engine(pulse_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pulse_settings, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await connection.run_sync(metadata.create_all)
        await connection.execute(text("TRUNCATE processed_events"))
    yield engine
    await engine.dispose()


async def claim(engine: AsyncEngine, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    session: AsyncSession
    async with create_session_factory(engine).begin() as session:
        return await claim_new_event_ids(session, pairs)


async def test_a_pair_is_new_once_and_each_new_pair_comes_back_whole(engine: AsyncEngine) -> None:
    first = [(f"acct-{n % 7}", f"evt_{n}") for n in range(2_000)]
    assert await claim(engine, first) == set(first)
    again = [*first[::3], ("acct-0", "evt_new"), ("acct-1", "evt_0"), ("acct-1", "evt_0")]
    assert await claim(engine, again) == {("acct-0", "evt_new"), ("acct-1", "evt_0")}
    assert await claim(engine, first[:5]) == set()


@pytest.mark.parametrize(
    "odd",
    [("acct\n1", "evt_1"), ("acct-1", "evt\n1"), ("", "evt_1"), ("acct-1", ""), ("a", "\n")],
)
async def test_ids_holding_the_separator_or_empty_are_claimed_alike(
    engine: AsyncEngine, odd: tuple[str, str]
) -> None:
    pairs = [("acct-1", "evt_0"), odd, ("acct-2", "evt_2")]
    assert await claim(engine, pairs) == set(pairs)
    assert await claim(engine, [odd]) == set()
    assert await claim(engine, [odd[::-1]]) == {odd[::-1]}
