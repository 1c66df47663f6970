"""Alembic environment of the alerts service: migrations run in the `alerts` schema."""

from pulse.common.db.migrations import run_env

run_env(default_schema="alerts")
