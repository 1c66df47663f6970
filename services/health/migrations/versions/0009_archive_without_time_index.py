"""The archive loses its index on `at`: every archived step paid for it, and nothing reads
through it. Pruning finds rows through the state rows' index (0008) and the primary key,
a backtest through the account index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("archived_steps_at", table_name="archived_steps")


def downgrade() -> None:
    op.create_index("archived_steps_at", "archived_steps", ["at"])
