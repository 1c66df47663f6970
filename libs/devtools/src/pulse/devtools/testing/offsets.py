"""How far a service's consumer group got, as it committed with its state: the offsets
PostgreSQL holds, for tests that kill and restart consumers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def committed_messages(engine: AsyncEngine, group_id: str, topic_prefix: str) -> int:
    """Messages of the topics under `topic_prefix` that `group_id` committed (the sum of
    its next offsets); 0 before the service's schema is migrated. `engine` reaches the
    service's schema."""
    async with engine.connect() as connection:
        exists = await connection.execute(text("SELECT to_regclass('consumer_offsets')"))
        if exists.scalar() is None:
            return 0
        rows = await connection.execute(
            text(
                "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets "
                "WHERE group_id = :group AND topic LIKE :topics"
            ),
            {"group": group_id, "topics": f"{topic_prefix}.%"},
        )
        return int(rows.scalar_one())
