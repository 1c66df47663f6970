"""Stored offsets remember the id of the topic they were read from.

A topic created again under the same name (an in-memory broker that restarted, a topic
deleted and re-created) starts at offset 0; the consumer runner compares the stored id
with the broker's and reads such a topic from its beginning instead of skipping its
first messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from pulse.common.db.consumer_migrations import add_offsets_topic_id, drop_offsets_topic_id

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_offsets_topic_id()


def downgrade() -> None:
    drop_offsets_topic_id()
