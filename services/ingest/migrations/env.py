"""Alembic environment of the ingest service: migrations run in the `ingest` schema."""

from pulse.common.db.migrations import run_env

run_env(default_schema="ingest")
