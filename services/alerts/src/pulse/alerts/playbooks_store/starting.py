"""What the alert engine calls: start an opened alert's playbook (inside the engine's
batch transaction) and read alerts' tasks for its API."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.playbooks.definitions import Playbook
from pulse.alerts.playbooks.instantiate import PlannedTask, tasks_for
from pulse.alerts.playbooks_store.catalog import PlaybookCatalog
from pulse.alerts.playbooks_store.playbook_rows import get_playbook
from pulse.alerts.playbooks_store.task_rows import add_alert_tasks, tasks_of_alerts

log = logging.getLogger(__name__)


async def start_playbook(
    session: AsyncSession,
    *,
    alert_id: str,
    account_id: str,
    rule_id: str,
    playbook_id: str,
    owner: str | None,
    opened_at: datetime,
    catalog: PlaybookCatalog | None = None,
) -> list[PlannedTask]:
    """Store the tasks of the playbook an alert's rule names, due from `opened_at`, and
    return them in playbook order.

    Idempotent per `alert_id`: an alert that has tasks already (a replay after a crash)
    gets no second set, and its stored tasks are returned. An unknown or deleted playbook
    starts nothing: [] and a warning, never an error, so the alert itself is not lost.
    `catalog` answers the lookup from memory; without one the playbook is read here.
    """
    existing = (await tasks_of_alerts(session, [alert_id]))[alert_id]
    if existing:
        return [task.planned() for task in existing]
    playbook = await _find(session, playbook_id, catalog)
    if playbook is None:
        log.warning(
            "alert's playbook is unknown or deleted; no tasks started",
            extra={"alert_id": alert_id, "rule_id": rule_id, "playbook_id": playbook_id},
        )
        return []
    planned = tasks_for(playbook, opened_at, owner)
    added = await add_alert_tasks(
        session,
        alert_id=alert_id,
        account_id=account_id,
        rule_id=rule_id,
        playbook_id=playbook_id,
        planned=planned,
    )
    if added == len(planned):
        return planned
    # A concurrent start of the same alert won the insert: its tasks are the alert's.
    return [task.planned() for task in (await tasks_of_alerts(session, [alert_id]))[alert_id]]


async def _find(
    session: AsyncSession, playbook_id: str, catalog: PlaybookCatalog | None
) -> Playbook | None:
    if catalog is not None:
        return await catalog.get(session, playbook_id)
    stored = await get_playbook(session, playbook_id)
    return stored.playbook if stored is not None else None
