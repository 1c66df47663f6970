"""Tables of the `alerts` schema's engine and alert API (created by its migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON

metadata = MetaData()

#: Every rule watching an account (`AccountWatch.snapshot()`), one row per account, and the
#: moment it must be evaluated again with no new event.
account_watches = Table(
    "account_watches",
    metadata,
    Column("account_id", Text, primary_key=True),
    # The Kafka partition the account's messages arrive on: the process that owns it
    # evaluates the account when it is due.
    Column("partition", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    Column("next_check", DateTime(timezone=True), nullable=True),
    Index("account_watches_due", "partition", "next_check"),
)

#: One row per alert; at most one not resolved per (rule, account).
alerts = Table(
    "alerts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("rule_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("severity", Text, nullable=False),
    # open | acknowledged | snoozed | resolved
    Column("state", Text, nullable=False),
    Column("owner", Text, nullable=True),
    Column("segment", Text, nullable=True),
    Column("name", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", Text, nullable=False),
    # [{"event_id", "occurred_at"}] behind the last trip, oldest first.
    Column("evidence", JSON, nullable=False),
    Column("trips", Integer, nullable=False),
    Column("playbook_id", Text, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_trip_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("snoozed_until", DateTime(timezone=True), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    # cleared (the condition stopped holding) | manual | rule_removed
    Column("resolution", Text, nullable=True),
    Column("note", Text, nullable=True),
    Index("alerts_listing", "opened_at", "id"),
    Index("alerts_account", "account_id"),
    Index("alerts_state", "state", "opened_at"),
    Index("alerts_snoozed", "snoozed_until"),
    Index(
        "alerts_one_unresolved",
        "rule_id",
        "account_id",
        unique=True,
        postgresql_where=text("state <> 'resolved'"),
    ),
)

#: Every version of the rule set; the highest is in force.
rule_sets = Table(
    "rule_sets",
    metadata,
    Column("version", BigInteger, Identity(always=True), primary_key=True),
    # The rules as the API shows them (JSON of each rule).
    Column("rules", JSON, nullable=False),
    # What changed, in words: "created rule x", "the shipped defaults".
    Column("change", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
