"""Tables of webhook delivery in the `alerts` schema (created by migration 0003).

No schema name: the service's connections put `alerts` first on the search path.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = MetaData()

#: Where messages go and which ones: event types plus optional account and segment filters.
subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    # NULL: every account (segment); otherwise only those listed.
    Column("account_ids", ARRAY(Text), nullable=True),
    Column("segments", ARRAY(Text), nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    # Messages of one account are sent one at a time, in order.
    Column("ordered", Boolean, nullable=False, server_default="false"),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("disabled_reason", Text, nullable=True),
    Column("secret", Text, nullable=False),
    # The secret a rotation replaced, still signing until `previous_secret_until`.
    Column("previous_secret", Text, nullable=True),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("previous_secret_until", DateTime(timezone=True), nullable=True),
    # The failure streak: attempts since the last success (see webhooks.disable_policy).
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("warned_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

#: The outbox: one row per message, written in the caller's transaction; `key` makes a
#: replay add nothing. `body` is the exact bytes every attempt signs and sends.
messages = Table(
    "webhook_messages",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("type", Text, nullable=False),
    # NULL for messages about an endpoint rather than an account (failure warnings).
    Column("account_id", Text, nullable=True),
    Column("segment", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("body", LargeBinary, nullable=False),
    Index("webhook_messages_created_at", "created_at"),
)

#: One message to one subscription, through its retries.
deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "message_id",
        BigInteger,
        ForeignKey("webhook_messages.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "subscription_id",
        Text,
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("webhook_id", Text, nullable=False),
    # The message's account, copied so ordered subscriptions can find the previous one.
    Column("account_id", Text, nullable=True),
    # pending, delivering (leased until `lease_until`), delivered, failed (given up)
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # Due at once when fanned out (the database's clock: `enqueue` takes no time).
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    # A redelivery asked for by hand: one attempt, outside the retry schedule.
    Column("single_attempt", Boolean, nullable=False, server_default="false"),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("message_id", "subscription_id", name="webhook_deliveries_message_sub"),
    Index("webhook_deliveries_due", "state", "next_attempt_at"),
    Index("webhook_deliveries_subscription", "subscription_id", "id"),
    Index("webhook_deliveries_account", "subscription_id", "account_id", "id"),
)

#: The delivery log: every attempt and what came back.
attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "delivery_id",
        BigInteger,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("latency_s", Float, nullable=False),
    # The first KiB of the response body, as text.
    Column("response_body", Text, nullable=True),
    Index("webhook_attempts_delivery", "delivery_id", "number"),
    Index("webhook_attempts_at", "at"),
)
