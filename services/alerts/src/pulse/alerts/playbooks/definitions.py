"""Playbook definitions: what to do when an alert opens, task by task.

A playbook is an ordered list of tasks, each with a title, a due offset from the moment
the alert opened (`2d`) and the role that owns it. Roles are a fixed set (`OWNER_ROLES`)
so they can label metrics and be routed by CS tools.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from pulse.alerts.rules.durations import Duration

#: Who owns a task:
#: - `csm`: the customer success manager, the account's owner (the task is assigned to them);
#: - `account_executive`: the seller of the account (commercial talks, renewal);
#: - `support_lead`: the lead of the support team (ticket reviews, escalations);
#: - `solutions_engineer`: technical guidance, integrations, enablement sessions;
#: - `cs_manager`: the CSM's manager (escalation inside customer success);
#: - `executive_sponsor`: the executive on our side paired with the account;
#: - `finance`: billing and collections.
OwnerRole = Literal[
    "csm",
    "account_executive",
    "support_lead",
    "solutions_engineer",
    "cs_manager",
    "executive_sponsor",
    "finance",
]
OWNER_ROLES: tuple[str, ...] = get_args(OwnerRole)
PlaybookId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
#: A duration as written (`2d`, `36h`); its JSON schema says so rather than "ISO 8601".
TaskDue = Annotated[
    Duration,
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,6}[dhms]$", "examples": ["2d", "36h"]}),
]
#: Most tasks in one playbook: a longer list is a project plan, not a playbook.
MAX_TASKS = 50
#: Most playbooks in one file.
MAX_PLAYBOOKS = 1_000


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Task(_Part):
    """One step: due `due` after the alert opened, owned by `owner_role`."""

    title: str = Field(min_length=1, max_length=200)
    due: TaskDue
    owner_role: OwnerRole
    description: str | None = Field(None, max_length=2_000)


class Playbook(_Part):
    """What to do, in order, when an alert of a rule naming this playbook opens."""

    id: PlaybookId
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2_000)
    tasks: list[Task] = Field(min_length=1, max_length=MAX_TASKS)


class PlaybookSet(_Part):
    """A file of playbooks."""

    version: str = Field(min_length=1, max_length=64)
    playbooks: list[Playbook] = Field(min_length=1, max_length=MAX_PLAYBOOKS)
