"""Test support for Pulse: the pytest plugin `pulse.common.testing.plugin` (broker, Postgres)."""
