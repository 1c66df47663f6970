"""Tables of the `ingest` schema (created by its Alembic migrations)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, func

metadata = MetaData()

account_references = Table(
    "account_references",
    metadata,
    Column("source", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("source", "kind", "reference"),
)

known_accounts = Table(
    "known_accounts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
