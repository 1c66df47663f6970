"""Tables of the `renewals` schema (created by its migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSON

metadata = MetaData()

#: Each account's book (`AccountBook.snapshot()`): facts, contract timeline, scores and
#: standing; one row per account, written with the offsets of the batch that changed it.
account_books = Table(
    "account_books",
    metadata,
    Column("account_id", Text, primary_key=True),
    # The Kafka partition the account's messages arrive on: its owner re-evaluates it.
    Column("partition", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    # The day the standing was last evaluated: the ticker looks again on a later day.
    Column("evaluated_on", Date, nullable=False),
    Index("account_books_due", "partition", "evaluated_on"),
)

#: What the API filters and sums on, updated in the same transaction as the book. Money in
#: minor units of the account's `currency`; converted at query time.
renewal_accounts = Table(
    "renewal_accounts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("name", Text, nullable=True),
    Column("segment", Text, nullable=True),
    Column("owner", Text, nullable=True),
    Column("industry", Text, nullable=True),
    Column("plan", Text, nullable=True),
    Column("currency", Text, nullable=True),
    Column("arr_minor", BigInteger, nullable=True),
    Column("renewal_date", Date, nullable=True),
    # green | yellow | red | unscored
    Column("band", Text, nullable=False),
    Column("score", Float, nullable=True),
    # Score points gained over the trend window; null while unknown.
    Column("score_change", Numeric, nullable=True),
    # commit | best_case | pipeline | at_risk; null without a renewal date.
    Column("category", Text, nullable=True),
    Column("probability", Numeric, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("renewal_accounts_renewal", "renewal_date"),
    Index("renewal_accounts_owner", "owner"),
)

#: Every standing an account had (category and probability, and when), for calibrating
#: the probabilities per band against what renewed.
renewal_standings = Table(
    "renewal_standings",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Column("renewal_date", Date, nullable=True),
    Column("band", Text, nullable=False),
    Column("category", Text, nullable=True),
    Column("probability", Numeric, nullable=False),
    Index("renewal_standings_account", "account_id", "evaluated_at"),
)
