"""Playbooks: the ordered tasks an alert's rule starts, read from YAML and planned with due
dates (pure: no I/O, no clock)."""
