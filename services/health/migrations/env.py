"""Alembic environment of the health service: migrations run in the `health` schema."""

from pulse.common.db.migrations import run_env

run_env(default_schema="health")
