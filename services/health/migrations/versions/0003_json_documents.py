"""Documents written on every re-score become `json`, not `jsonb`.

PostgreSQL parses `jsonb` into its binary form on every write: for score components
(~2 KiB of numbers each) that doubled the cost of writing a score or history row. Pulse
never queries inside these documents, only reads them whole, so `json` (checked, stored
as text) serves them as well.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("account_states", "state"), ("scores", "components"), ("score_history", "components"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json USING {column}::json")


def downgrade() -> None:
    for table, column in _COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE jsonb USING {column}::jsonb")
