"""SQLAlchemy 2 async engine on asyncpg, one Postgres schema per service."""

from __future__ import annotations

import re

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from pulse.common.settings import Settings

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_schema_name(schema: str) -> str:
    """Schema names are interpolated into DDL, so only plain identifiers pass."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}: use lower-case letters, digits, _")
    return schema


def create_engine(settings: Settings, *, schema: str) -> AsyncEngine:
    """An engine whose connections see `schema` first, so unqualified tables live there."""
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        pool_pre_ping=True,
        # orjson: JSON columns are written on every batch; the stdlib encoder is 5-10x slower.
        json_serializer=_dump_json,
        json_deserializer=orjson.loads,
        connect_args={"server_settings": {"search_path": check_schema_name(schema)}},
    )


def _dump_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (state is reused across batches)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_database(engine: AsyncEngine) -> None:
    """Raise if the database does not answer `SELECT 1`."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
