"""Loading offsets and state reads one snapshot, and the API's reads take no transaction,
on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from pulse.common.db.engine import (
    create_engine,
    create_session_factory,
    snapshot_transaction,
)
from pulse.common.settings import Settings

pytestmark = pytest.mark.integration

SCHEMA = "snapshot_test"


@pytest.fixture
async def engine(pulse_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pulse_settings, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await connection.execute(text("CREATE TABLE IF NOT EXISTS rows (n int)"))
        await connection.execute(text("TRUNCATE rows"))
    yield engine
    await engine.dispose()


async def count(reader: AsyncSession | AsyncConnection) -> int:
    result = await reader.execute(text("SELECT count(*) FROM rows"))
    return int(result.scalar_one())


async def test_a_commit_between_two_reads_is_not_seen_by_the_second(engine: AsyncEngine) -> None:
    async with snapshot_transaction(create_session_factory(engine)) as session:
        before = await count(session)
        async with engine.begin() as other:  # a batch committing meanwhile
            await other.execute(text("INSERT INTO rows VALUES (1)"))
        during = await count(session)
        level = (await session.execute(text("SHOW transaction_isolation"))).scalar_one()
    async with engine.connect() as connection:
        after = await count(connection)
    assert (before, during, after) == (0, 0, 1)
    assert level == "repeatable read"


async def test_what_the_transaction_writes_is_committed(engine: AsyncEngine) -> None:
    async with snapshot_transaction(create_session_factory(engine)) as session:
        await session.execute(text("INSERT INTO rows VALUES (2)"))
    async with engine.connect() as connection:
        assert await count(connection) == 1


async def test_an_error_rolls_the_transaction_back(engine: AsyncEngine) -> None:
    async def failing_load() -> None:
        async with snapshot_transaction(create_session_factory(engine)) as session:
            await session.execute(text("INSERT INTO rows VALUES (3)"))
            raise RuntimeError("load failed")

    with pytest.raises(RuntimeError, match="load failed"):
        await failing_load()
    async with engine.connect() as connection:
        assert await count(connection) == 0


async def transaction_ids(session: AsyncSession) -> set[int]:
    ids = [(await session.execute(text("SELECT txid_current()"))).scalar_one() for _ in range(2)]
    return set(ids)


async def test_each_read_statement_is_its_own_transaction(
    engine: AsyncEngine, pulse_settings: Settings
) -> None:
    read_engine = create_engine(pulse_settings, schema=SCHEMA, for_reads=True)
    try:
        async with create_session_factory(read_engine)() as reads:
            read_ids = await transaction_ids(reads)
    finally:
        await read_engine.dispose()
    async with create_session_factory(engine)() as session:
        session_ids = await transaction_ids(session)
    assert len(read_ids) == 2  # no BEGIN and ROLLBACK around them: fewer round trips
    assert len(session_ids) == 1
