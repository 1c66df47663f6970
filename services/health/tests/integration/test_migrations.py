"""Health's migrations keep stored documents: 0003 turns `jsonb` documents into `json` and
back without changing what they say."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine
from pulse.common.db.migrations import alembic_config
from pulse.common.settings import Settings
from pulse.health.app import MIGRATIONS_DIR

pytestmark = pytest.mark.integration

SCHEMA = "health_migrations"  # its own schema: other tests of this module use `health`
STATE = {"state": {"v": 2, "arr": 120000.5}, "score": 71.3, "band": "green"}
COMPONENTS = [{"measure": "nps", "group": "sentiment", "value": 9.0, "score": 90.0}]
TYPES = (
    "SELECT data_type FROM information_schema.columns WHERE table_schema = :schema AND "
    "(table_name, column_name) IN (('account_states', 'state'), ('scores', 'components'), "
    "('score_history', 'components'))"
)


async def test_documents_survive_migration_0003_both_ways(pulse_settings: Settings) -> None:
    config = alembic_config(pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    engine = create_engine(pulse_settings, schema=SCHEMA)
    try:
        await asyncio.to_thread(command.upgrade, config, "0002")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO account_states (account_id, partition, state) "
                    "VALUES ('acme', 1, CAST(:state AS jsonb))"
                ),
                {"state": orjson.dumps(STATE).decode()},
            )
            for table, extra, values in (
                ("scores", "segment, computed_at", "'low_touch', now()"),
                ("score_history", "at", "now()"),
            ):
                await connection.execute(
                    text(
                        f"INSERT INTO {table} (account_id, score, band, model_version, "
                        f"components, {extra}) VALUES ('acme', 71.3, 'green', 'm-1', "
                        f"CAST(:components AS jsonb), {values})"
                    ),
                    {"components": orjson.dumps(COMPONENTS).decode()},
                )

        await asyncio.to_thread(command.upgrade, config, "head")
        assert await _types(engine) == ["json", "json", "json"]
        assert await _documents(engine) == [STATE, COMPONENTS, COMPONENTS]

        await asyncio.to_thread(command.downgrade, config, "0002")
        assert await _types(engine) == ["jsonb", "jsonb", "jsonb"]
        assert await _documents(engine) == [STATE, COMPONENTS, COMPONENTS]
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await engine.dispose()


async def _types(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(TYPES), {"schema": SCHEMA})
        return sorted(row[0] for row in rows)


async def _documents(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT a.state::text, s.components::text, h.components::text "
                    "FROM account_states a, scores s, score_history h"
                )
            )
        ).one()
        return [orjson.loads(document) for document in row]
