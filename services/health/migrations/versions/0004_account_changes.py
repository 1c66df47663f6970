"""Account changes: what each re-score applied, appended, instead of the whole state.

Rewriting an account's whole state (~3 KiB of JSON) on every re-score took about a fifth
of a busy health process's time. Now a re-score appends one small row: the raw events it
applied and what the scoring said; `account_states` holds a snapshot, rewritten only
after many changes (see `pulse.health.keeping.changes`). Loading replays the changes
after the snapshot.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs", sa.LargeBinary, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("history_score", sa.Float, nullable=True),
        sa.Column("history_day", sa.Text, nullable=True),
        sa.Column("next_change_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("account_changes_account", "account_changes", ["account_id", "seq"])
    op.create_index("account_changes_partition", "account_changes", ["partition"])


def downgrade() -> None:
    # Fold nothing back: an earlier health reads snapshots only, so changes after the last
    # snapshot are lost on downgrade (restore the database to roll back instead).
    op.drop_table("account_changes")
