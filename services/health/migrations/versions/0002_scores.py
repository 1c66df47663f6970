"""Account state, current scores, score history and scoring model versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "account_states",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("state", JSONB, nullable=False),
        sa.Column("next_change_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_index("account_states_partition", "account_states", ["partition"])
    op.create_table(
        "scores",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("components", JSONB, nullable=False),
    )
    op.create_index("scores_band_score", "scores", ["band", "score"])
    op.create_index("scores_segment", "scores", ["segment"])
    op.create_index("scores_owner", "scores", ["owner"])
    op.create_table(
        "score_history",
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("components", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "at"),
    )
    op.create_table(
        "scoring_models",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )


def downgrade() -> None:
    for table in ("scoring_models", "score_history", "scores", "account_states"):
        op.drop_table(table)
