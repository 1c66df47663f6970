"""PostgreSQL: engine and sessions, the tables every stateful service shares, migrations."""
