"""A playbook made concrete for one alert: each task with its due date and assignee.

Due dates count from the moment the alert opened (event time, not the moment the engine
ran). Tasks of role `csm` are assigned to the account's owner (its CSM); every other
role's tasks carry the role only (`assignee` None): Pulse knows who owns an account, not
who its support lead or finance contact is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pulse.alerts.playbooks.definitions import Playbook

#: The role whose tasks go to the account's owner.
OWNER_ROLE = "csm"


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """One task of an alert's playbook, at its place in the playbook (0-based)."""

    position: int
    title: str
    owner_role: str
    assignee: str | None
    due_at: datetime


def tasks_for(playbook: Playbook, opened_at: datetime, owner: str | None) -> list[PlannedTask]:
    """The playbook's tasks for an alert that opened at `opened_at` on an account owned by
    `owner` (None: no owner known, so no task has an assignee)."""
    if opened_at.tzinfo is None:
        raise ValueError(f"opened_at must carry a time zone, got {opened_at.isoformat()}")
    return [
        PlannedTask(
            position=position,
            title=task.title,
            owner_role=task.owner_role,
            assignee=owner if task.owner_role == OWNER_ROLE else None,
            due_at=opened_at + task.due,
        )
        for position, task in enumerate(playbook.tasks)
    ]
