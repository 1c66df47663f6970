"""Consumer bookkeeping: stored offsets, seen event ids, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from pulse.common.db.consumer_migrations import create_consumer_tables, drop_consumer_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The shared tables carry no schema; the migration connection's search_path is this
    # service's schema, so they are created there.
    create_consumer_tables()


def downgrade() -> None:
    drop_consumer_tables()
