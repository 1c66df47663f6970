"""Tables every stateful consumer keeps in its own schema: offsets, seen event ids, outbox.

They carry no schema name: each service's connections put its schema first on the
search path (`engine.create_engine`), and its first migration creates them there.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    # The next offset to consume (last processed + 1), as Kafka commits it.
    Column("next_offset", BigInteger, nullable=False),
    # The id of the topic incarnation the offset belongs to (NULL: the broker gives none,
    # or the row predates topic ids); another id means the topic was created again.
    Column("topic_id", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("account_id", "event_id"),
    Index("processed_events_seen_at", "seen_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("message_id", Text, nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False, server_default="[]"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
