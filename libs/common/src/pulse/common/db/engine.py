"""SQLAlchemy 2 async engine on asyncpg, one Postgres schema per service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

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


def create_engine(settings: Settings, *, schema: str, for_reads: bool = False) -> AsyncEngine:
    """An engine whose connections see `schema` first, so unqualified tables live there.

    `for_reads`: the engine of the API's reads, with a pool of its own whose connections
    run each statement on its own (AUTOCOMMIT). A read is then two round trips (the
    pool's liveness ping and the query) instead of six (a ping inside a transaction,
    BEGIN, the query, ROLLBACK). Each round trip is a turn of the event loop, shared with
    background work, and a wake-up of PostgreSQL: fewer keep reads fast on a busy
    service. Only for statements that write nothing.
    """
    per_statement: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if for_reads else {}
    return create_async_engine(
        settings.database_url.get_secret_value(),
        **per_statement,
        pool_size=settings.database_read_pool_size if for_reads else settings.database_pool_size,
        max_overflow=0,  # wait for a pooled connection: see `database_pool_size`
        pool_timeout=settings.database_pool_timeout_s,
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


@asynccontextmanager
async def snapshot_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A transaction whose statements all read one snapshot (REPEATABLE READ), committed
    on exit and rolled back on error. For loading offsets and the state they belong to:
    under READ COMMITTED, a batch committed between two of the load's statements would
    pair the state of one moment with the offsets (or changes) of another."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session
        await session.commit()


async def check_database(engine: AsyncEngine) -> None:
    """Raise if the database does not answer `SELECT 1`."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
