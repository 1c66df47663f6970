"""Alerts' HTTP API: its routes by resource."""
