"""Health's PostgreSQL tables and every query on them; imports nothing else of health."""
