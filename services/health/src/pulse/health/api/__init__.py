"""Health's HTTP API: its routes by resource, composed in `routes`."""
