"""An index of the archive's state-bearing rows, for its retention.

Pruning keeps, for each account, its latest row carrying a state at or before the cutoff
and every row after it (see `pulse.health.storage.archive_pruning`); finding those rows
reads this partial index instead of the whole archive. A replay's start is found through
it too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "archived_steps_states",
        "archived_steps",
        ["account_id", "seq", "at"],
        postgresql_where=sa.text("state IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("archived_steps_states", table_name="archived_steps")
