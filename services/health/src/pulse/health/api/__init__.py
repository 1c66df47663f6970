"""Health's HTTP API: the routes and what they need to read a request."""
