"""Test support for Pulse: the pytest plugin `pulse.devtools.testing.plugin` (broker, Postgres)."""
