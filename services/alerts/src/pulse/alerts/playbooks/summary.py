"""The playbook part of an `alert.opened` webhook: the playbook's name and its tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulse.alerts.playbooks.instantiate import PlannedTask


def playbook_summary(name: str, tasks: Sequence[PlannedTask]) -> dict[str, Any]:
    """`{"name", "tasks": [{"title", "due_at", "owner", "owner_role"}]}`, tasks in playbook
    order; `owner` is the assignee when there is one, else the role, so a CS tool always
    has someone to route the task to."""
    return {
        "name": name,
        "tasks": [
            {
                "title": task.title,
                "due_at": task.due_at,
                "owner": task.assignee or task.owner_role,
                "owner_role": task.owner_role,
            }
            for task in sorted(tasks, key=lambda task: task.position)
        ],
    }
