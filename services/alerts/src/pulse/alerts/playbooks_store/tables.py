"""Tables of playbooks and alert tasks in the `alerts` schema (created by migration 0004)."""

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

#: Playbooks people manage over the API; the shipped ones are stored on first start.
#: A deleted playbook keeps its row (`deleted_at` set): the table is never empty again
#: once seeded, so deleting every playbook does not bring the defaults back on restart.
playbooks = Table(
    "playbooks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    # `Playbook.model_dump(mode="json")`: read whole, never queried inside.
    Column("definition", JSON, nullable=False),
    # 1 when created, one more on every replacement, deletion or re-creation.
    Column("version", Integer, nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

#: The tasks an alert's playbook started, copied from the playbook when the alert opened
#: (a later change to the playbook leaves them as they are).
alert_tasks = Table(
    "alert_tasks",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("alert_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("playbook_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("owner_role", Text, nullable=False),
    Column("assignee", Text, nullable=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
    Column("done_by", Text, nullable=True),
    Column("done_note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One set of tasks per alert: a replayed start adds nothing.
    Index("alert_tasks_alert_position", "alert_id", "position", unique=True),
    # Listings in due order: all tasks, one assignee's, and the open ones (overdue
    # listing and the overdue gauge read only these).
    Index("alert_tasks_due", "due_at", "id"),
    Index("alert_tasks_assignee_due", "assignee", "due_at", "id"),
    Index("alert_tasks_open_due", "due_at", "id", postgresql_where=text("done_at IS NULL")),
)
