"""Pulse's development tools: `pulse dev`, the embedded broker and PostgreSQL, test support.

Nothing in production imports this package; the service images do not install it.
"""
