"""HTTP routes of the alerts service."""
