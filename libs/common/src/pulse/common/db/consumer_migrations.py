"""Migration steps of the consumer tables every stateful service keeps in its own schema.

Each function is one revision's step, frozen as it shipped: the services' migrations call
them, so a change to `tables.py` never alters what an applied revision did. A new column
is a new function and a new revision in every service that keeps these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_consumer_tables() -> None:
    """Stored offsets, seen event ids and the outbox (first revision)."""
    op.create_table(
        "consumer_offsets",
        sa.Column("group_id", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition"),
    )
    op.create_table(
        "processed_events",
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column(
            "seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("account_id", "event_id"),
    )
    op.create_index("processed_events_seen_at", "processed_events", ["seen_at"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Text, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def drop_consumer_tables() -> None:
    """Undo `create_consumer_tables`."""
    for table in ("outbox", "processed_events", "consumer_offsets"):
        op.drop_table(table)


def add_offsets_topic_id() -> None:
    """Offsets remember the topic id they were read from (rows stored before: NULL)."""
    op.add_column("consumer_offsets", sa.Column("topic_id", sa.Text, nullable=True))


def drop_offsets_topic_id() -> None:
    """Undo `add_offsets_topic_id`."""
    op.drop_column("consumer_offsets", "topic_id")
