"""Account changes may be applied without a re-score (deferred while a backlog drains).

While the consumer is far behind, health applies a batch's events and commits them with
its offsets, but re-scores the accounts they touched in a later batch (see
`pulse.health.keeping.deferral`): an account with many events in the backlog is scored
once, not once per batch. Such a change is replayed without the prune a re-score does, and it
carries no score when the account has never been scored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCORED = ("score", "band", "model_version")


def upgrade() -> None:
    op.add_column(
        "account_changes",
        sa.Column("rescored", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    for column in _SCORED:
        op.alter_column("account_changes", column, nullable=True)


def downgrade() -> None:
    # An earlier health replays every change as re-scored; restore the database to roll
    # back a process that deferred re-scores.
    for column in _SCORED:
        op.alter_column("account_changes", column, nullable=False)
    op.drop_column("account_changes", "rescored")
