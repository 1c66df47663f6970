"""The schema check reports a database that differs from the declared tables, and
nothing for one that matches them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pulse.common.db import tables
from pulse.common.db.engine import create_engine
from pulse.common.db.migration_checks import schema_differences
from pulse.common.settings import Settings

pytestmark = pytest.mark.integration

SCHEMA = "schema_check"


async def test_tables_as_declared_match_and_a_changed_column_does_not(
    pulse_database_url: str,
) -> None:
    settings = Settings(env="test", database_url=pulse_database_url)
    engine = create_engine(settings, schema=SCHEMA)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            await connection.run_sync(tables.metadata.create_all)
        assert await schema_differences(settings, schema=SCHEMA, declared=[tables.metadata]) == []

        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE outbox ALTER COLUMN key SET NOT NULL"))
            await connection.execute(text("ALTER TABLE consumer_offsets DROP COLUMN topic_id"))
        differences = await schema_differences(settings, schema=SCHEMA, declared=[tables.metadata])
    finally:
        await engine.dispose()

    # Column changes come as one-item lists; an added column carries the Column itself.
    found = [d[0] if isinstance(d, list) else d for d in differences]
    assert sorted(
        (kind, table, getattr(column, "name", column)) for kind, _, table, column, *_ in found
    ) == [
        ("add_column", "consumer_offsets", "topic_id"),
        ("modify_nullable", "outbox", "key"),
    ]
