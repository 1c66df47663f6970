"""Playbooks and alert tasks in PostgreSQL: the stored playbooks, the tasks each alert's
playbook started, and the entry points the alert engine calls."""
