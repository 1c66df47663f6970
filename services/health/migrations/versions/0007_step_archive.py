"""The step archive: every input health applied, kept, for re-scoring history.

`account_changes` keeps only the steps after an account's snapshot; a backtest of another
model over past months needs them all. Each row is one step: the inputs applied at `at`
(raw bytes, as in `account_changes`), whether a re-score followed, and, when the keeper
wrote a snapshot at that step, the state after it: a replay starts from such a row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archived_steps",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.LargeBinary, nullable=False),
        sa.Column("rescored", sa.Boolean, nullable=False),
        sa.Column("state", sa.JSON, nullable=True),
    )
    op.create_index("archived_steps_account", "archived_steps", ["account_id", "seq"])
    op.create_index("archived_steps_at", "archived_steps", ["at"])


def downgrade() -> None:
    op.drop_table("archived_steps")
