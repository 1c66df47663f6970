"""Renewal state: each account's book (JSON), the rows the API queries, and the history
of standings for calibration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSON

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_books",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("evaluated_on", sa.Date, nullable=False),
    )
    op.create_index("account_books_due", "account_books", ["partition", "evaluated_on"])
    op.create_table(
        "renewal_accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("segment", sa.Text, nullable=True),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("industry", sa.Text, nullable=True),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("currency", sa.Text, nullable=True),
        sa.Column("arr_minor", sa.BigInteger, nullable=True),
        sa.Column("renewal_date", sa.Date, nullable=True),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("score_change", sa.Numeric, nullable=True),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("probability", sa.Numeric, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("renewal_accounts_renewal", "renewal_accounts", ["renewal_date"])
    op.create_index("renewal_accounts_owner", "renewal_accounts", ["owner"])
    op.create_table(
        "renewal_standings",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewal_date", sa.Date, nullable=True),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("probability", sa.Numeric, nullable=False),
    )
    op.create_index(
        "renewal_standings_account", "renewal_standings", ["account_id", "evaluated_at"]
    )


def downgrade() -> None:
    op.drop_table("renewal_standings")
    op.drop_table("renewal_accounts")
    op.drop_table("account_books")
