"""Alembic per service schema: each service's `migrations/env.py` calls `run_env()`.

`upgrade_to_head()` is what `python -m pulse.<service> migrate` and the test fixtures run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulse.common.db.engine import check_schema_name
from pulse.common.settings import Settings


def alembic_config(settings: Settings, *, schema: str, migrations_dir: Path) -> Config:
    """An Alembic config for one service's migrations in its own schema."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["pulse_settings"] = settings
    config.attributes["pulse_schema"] = check_schema_name(schema)
    return config


def upgrade_to_head(settings: Settings, *, schema: str, migrations_dir: Path) -> None:
    """Create the schema if missing and apply every migration. Blocking; call off the loop."""
    command.upgrade(alembic_config(settings, schema=schema, migrations_dir=migrations_dir), "head")


def _migrate(connection: Connection, schema: str, target_metadata: MetaData | None) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(settings: Settings, schema: str, target_metadata: MetaData | None) -> None:
    engine = create_async_engine(settings.database_url.get_secret_value(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            # Replicas starting together migrate one at a time.
            await connection.execute(
                text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": f"migrate:{schema}"}
            )
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await connection.execute(text(f'SET search_path TO "{schema}"'))
            await connection.commit()
            await connection.run_sync(_migrate, schema, target_metadata)
            await connection.commit()
            await connection.execute(
                text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": f"migrate:{schema}"}
            )
            await connection.commit()
    finally:
        await engine.dispose()


def run_env(*, default_schema: str, target_metadata: MetaData | None = None) -> None:
    """Body of a service's `env.py`. Works from `upgrade_to_head` and the `alembic` CLI."""
    attributes = context.config.attributes
    settings: Settings = attributes.get("pulse_settings") or Settings()
    schema: str = attributes.get("pulse_schema") or default_schema
    if context.is_offline_mode():
        raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
    asyncio.run(_run_async(settings, check_schema_name(schema), target_metadata))
