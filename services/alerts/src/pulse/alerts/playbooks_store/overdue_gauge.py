"""The overdue-task gauge: how many alert tasks are past due and not done, by owner role.

Labelled by role only (a fixed set), never by account or assignee, so `/metrics` cannot
grow with the data. Every replica reports the same count, read from the database.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.playbooks.definitions import OWNER_ROLES
from pulse.alerts.playbooks_store.task_rows import overdue_counts

TASKS_OVERDUE = Gauge(
    "pulse_alert_tasks_overdue",
    "Alert tasks past their due date and not done, by owner role (refreshed periodically).",
    ["owner_role"],
)


async def refresh_overdue_gauge(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Count the tasks overdue at `now` and set the gauge for every role (0 for none);
    returns the counts by role."""
    counts = await overdue_counts(session, now)
    by_role = {role: counts.get(role, 0) for role in OWNER_ROLES}
    for role, count in by_role.items():
        TASKS_OVERDUE.labels(role).set(count)
    return by_role
