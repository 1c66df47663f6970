"""Alembic environment of the renewals service: migrations run in the `renewals` schema."""

from pulse.common.db.migrations import run_env

run_env(default_schema="renewals")
