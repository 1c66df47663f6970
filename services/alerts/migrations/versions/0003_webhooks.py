"""Webhook delivery: subscriptions, the message outbox, deliveries and the attempt log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.func.now()


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", ARRAY(sa.Text), nullable=False),
        sa.Column("account_ids", ARRAY(sa.Text), nullable=True),
        sa.Column("segments", ARRAY(sa.Text), nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("ordered", sa.Boolean, nullable=False, server_default="false"),
        _at("disabled_at"),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text, nullable=True),
        _at("rotated_at"),
        _at("previous_secret_until"),
        _at("failing_since"),
        _at("last_failure_at"),
        _at("warned_at"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_table(
        "webhook_messages",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=True),
        sa.Column("segment", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_index("webhook_messages_created_at", "webhook_messages", ["created_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column(
            "message_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "subscription_id",
            sa.Text,
            sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("webhook_id", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW
        ),
        _at("lease_until"),
        sa.Column("single_attempt", sa.Boolean, nullable=False, server_default="false"),
        _at("first_attempt_at"),
        _at("last_attempt_at"),
        _at("delivered_at"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("message_id", "subscription_id", name="webhook_deliveries_message_sub"),
    )
    op.create_index("webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "webhook_deliveries_subscription", "webhook_deliveries", ["subscription_id", "id"]
    )
    op.create_index(
        "webhook_deliveries_account",
        "webhook_deliveries",
        ["subscription_id", "account_id", "id"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        _at("at", nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("latency_s", sa.Float, nullable=False),
        sa.Column("response_body", sa.Text, nullable=True),
    )
    op.create_index("webhook_attempts_delivery", "webhook_attempts", ["delivery_id", "number"])
    op.create_index("webhook_attempts_at", "webhook_attempts", ["at"])


def downgrade() -> None:
    for table in (
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_messages",
        "webhook_subscriptions",
    ):
        op.drop_table(table)
