"""Tables of the `health` schema (created by its Alembic migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSON

metadata = MetaData()

# Documents are `json`, not `jsonb`: read whole, never queried inside, and `jsonb` parses
# every write (migration 0003).

#: A snapshot of everything needed to score an account (`AccountState.to_dict()` and what
#: its last scoring said), one row per account; the changes after it are in
#: `account_changes`.
account_states = Table(
    "account_states",
    metadata,
    Column("account_id", Text, primary_key=True),
    # The Kafka partition the account's events arrive on: a process that is assigned
    # that partition loads exactly these rows.
    Column("partition", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    Column("next_change_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("account_states_partition", "partition"),
)

#: What each re-score after the snapshot applied (the raw events, in order), the moment
#: it scored at, and what the scoring said (see `pulse.health.keeping.changes`).
account_changes = Table(
    "account_changes",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("inputs", LargeBinary, nullable=False),
    # What the last scoring said (none yet: the account was never scored).
    Column("score", Float, nullable=True),
    Column("band", Text, nullable=True),
    Column("model_version", Text, nullable=True),
    Column("history_score", Float, nullable=True),
    Column("history_day", Text, nullable=True),
    Column("next_change_at", DateTime(timezone=True), nullable=True),
    # False: the inputs were applied with no prune and no re-score after them (one
    # deferred while a backlog drained; see `pulse.health.keeping.deferral`).
    Column("rescored", Boolean, nullable=False, server_default=true()),
    Index("account_changes_account", "account_id", "seq"),
    Index("account_changes_partition", "partition"),
)

#: Every step the keeper took with inputs (and every snapshot it wrote), kept after the
#: snapshot that makes `account_changes` drop them: what `pulse model backtest` replays
#: (see `pulse.health.backtest.replay`). `state` is the state after the step, on the steps
#: that wrote a snapshot: a replay can start there.
archived_steps = Table(
    "archived_steps",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("inputs", LargeBinary, nullable=False),
    Column("rescored", Boolean, nullable=False),
    Column("state", JSON, nullable=True),
    Index("archived_steps_account", "account_id", "seq"),
    # Where replays start and pruning stops: the rows carrying a state (a small share).
    Index(
        "archived_steps_states",
        "account_id",
        "seq",
        "at",
        postgresql_where=text("state IS NOT NULL"),
    ),
)

#: The current score of each account, as the API serves it.
scores = Table(
    "scores",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("score", Float, nullable=False),
    Column("band", Text, nullable=False),
    Column("segment", Text, nullable=False),
    Column("owner", Text, nullable=True),
    Column("model_version", Text, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("components", JSON, nullable=False),
    Index("scores_band_score", "band", "score"),
    Index("scores_segment", "segment"),
    Index("scores_owner", "owner"),
)

#: A point whenever the band changes or the score moves by 1 or more, and daily; its
#: components are what the 7- and 30-day drivers compare against.
score_history = Table(
    "score_history",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("score", Float, nullable=False),
    Column("band", Text, nullable=False),
    Column("model_version", Text, nullable=False),
    Column("components", JSON, nullable=False),
    PrimaryKeyConstraint("account_id", "at"),
)

#: Every scoring model ever used; exactly one is active.
scoring_models = Table(
    "scoring_models",
    metadata,
    Column("version", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
