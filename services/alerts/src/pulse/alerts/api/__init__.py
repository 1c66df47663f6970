"""The alerts service's HTTP API."""
