"""The alert engine: every rule watching an account, alerts, and versioned rule sets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_watches",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("partition", sa.Integer, nullable=False),
        # `json`, not `jsonb`: read and written whole, never queried inside.
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("next_check", _MOMENT, nullable=True),
    )
    op.create_index("account_watches_due", "account_watches", ["partition", "next_check"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("segment", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("trips", sa.Integer, nullable=False),
        sa.Column("playbook_id", sa.Text, nullable=True),
        sa.Column("opened_at", _MOMENT, nullable=False),
        sa.Column("last_trip_at", _MOMENT, nullable=False),
        sa.Column("updated_at", _MOMENT, nullable=False),
        sa.Column("acknowledged_at", _MOMENT, nullable=True),
        sa.Column("snoozed_until", _MOMENT, nullable=True),
        sa.Column("resolved_at", _MOMENT, nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("alerts_listing", "alerts", ["opened_at", "id"])
    op.create_index("alerts_account", "alerts", ["account_id"])
    op.create_index("alerts_state", "alerts", ["state", "opened_at"])
    op.create_index("alerts_snoozed", "alerts", ["snoozed_until"])
    # The engine's guarantee, enforced: one alert not resolved per (rule, account).
    op.create_index(
        "alerts_one_unresolved",
        "alerts",
        ["rule_id", "account_id"],
        unique=True,
        postgresql_where=sa.text("state <> 'resolved'"),
    )
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("rule_sets", "alerts", "account_watches"):
        op.drop_table(table)
