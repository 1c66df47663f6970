"""The `pulse_db_pool_*` gauges: how many connections of a service's pools are in use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from pulse.common.metrics import DB_POOL_CONNECTIONS, DB_POOL_SIZE


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """Connections of one or more pools: checked out, pooled idle, and the configured size."""

    in_use: int
    idle: int
    size: int

    def __add__(self, other: PoolUsage) -> PoolUsage:
        return PoolUsage(self.in_use + other.in_use, self.idle + other.idle, self.size + other.size)


def pool_usage(engine: AsyncEngine) -> PoolUsage:
    """What `engine`'s pool holds now; zeros for a pool that keeps no connections
    (`create_engine` always makes a queue pool; tests may not)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return PoolUsage(in_use=0, idle=0, size=0)
    return PoolUsage(in_use=pool.checkedout(), idle=pool.checkedin(), size=pool.size())


def record_pool_usage(engines: Iterable[AsyncEngine]) -> PoolUsage:
    """Set the gauges to the sum over `engines` (a service's write and read pools)."""
    total = PoolUsage(0, 0, 0)
    for engine in engines:
        total += pool_usage(engine)
    DB_POOL_CONNECTIONS.labels("in_use").set(total.in_use)
    DB_POOL_CONNECTIONS.labels("idle").set(total.idle)
    DB_POOL_SIZE.set(total.size)
    return total
