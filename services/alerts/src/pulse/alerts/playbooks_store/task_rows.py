"""Stored alert tasks: adding an alert's planned tasks, listing them (per alert, per
assignee, by state, in due order), marking them done or open again, and counting the
overdue ones. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, RowMapping, Select, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.playbooks.instantiate import PlannedTask
from pulse.alerts.playbooks.task_state import TaskFilter
from pulse.alerts.playbooks_store.tables import alert_tasks

t = alert_tasks


@dataclass(frozen=True, slots=True)
class AlertTask:
    """One task of an alert's playbook, as stored."""

    id: int
    alert_id: str
    account_id: str
    rule_id: str
    playbook_id: str
    position: int
    title: str
    owner_role: str
    assignee: str | None
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    done_note: str | None
    created_at: datetime

    def planned(self) -> PlannedTask:
        """The task as the playbook planned it."""
        return PlannedTask(self.position, self.title, self.owner_role, self.assignee, self.due_at)


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Which tasks a listing shows; None is no filter. `state` is judged at `now`."""

    now: datetime
    state: TaskFilter | None = None
    assignee: str | None = None
    owner_role: str | None = None
    account_id: str | None = None
    alert_id: str | None = None


_COLUMNS = [c for c in t.c]


async def add_alert_tasks(
    session: AsyncSession,
    *,
    alert_id: str,
    account_id: str,
    rule_id: str,
    playbook_id: str,
    planned: Sequence[PlannedTask],
) -> int:
    """Store an alert's planned tasks; an alert that has tasks already keeps them.
    Returns how many were added."""
    rows = [
        {
            "alert_id": alert_id,
            "account_id": account_id,
            "rule_id": rule_id,
            "playbook_id": playbook_id,
            "position": task.position,
            "title": task.title,
            "owner_role": task.owner_role,
            "assignee": task.assignee,
            "due_at": task.due_at,
        }
        for task in planned
    ]
    if not rows:
        return 0
    statement = insert(t).values(rows).on_conflict_do_nothing().returning(t.c.id)
    return len((await session.execute(statement)).all())


async def tasks_of_alerts(
    session: AsyncSession, alert_ids: Sequence[str]
) -> dict[str, list[AlertTask]]:
    """Each alert's tasks in playbook order; an alert without tasks maps to []."""
    found: dict[str, list[AlertTask]] = {alert_id: [] for alert_id in alert_ids}
    if not found:
        return found
    statement = (
        select(*_COLUMNS).where(t.c.alert_id.in_(list(found))).order_by(t.c.alert_id, t.c.position)
    )
    for row in (await session.execute(statement)).mappings():
        found[row["alert_id"]].append(_task(row))
    return found


async def list_tasks(
    session: AsyncSession,
    query: TaskQuery,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[AlertTask]:
    """Tasks matching `query` in due order (then id), the first `limit` after the keyset
    `after` = (due_at, id) of the last task of the page before."""
    statement = _filtered(select(*_COLUMNS), query)
    if after is not None:
        statement = statement.where(tuple_(t.c.due_at, t.c.id) > tuple_(*after))
    statement = statement.order_by(t.c.due_at, t.c.id).limit(limit)
    return [_task(row) for row in (await session.execute(statement)).mappings()]


async def get_task(session: AsyncSession, task_id: int) -> AlertTask | None:
    """One task by id."""
    row = (await session.execute(select(*_COLUMNS).where(t.c.id == task_id))).mappings().first()
    return _task(row) if row is not None else None


async def mark_done(
    session: AsyncSession, task_id: int, *, at: datetime, by: str | None, note: str | None
) -> AlertTask | None:
    """Mark a task done at `at`; one already done keeps its first `done_at`, `done_by` and
    note. None for an unknown task."""
    statement = (
        update(t)
        .where(t.c.id == task_id, t.c.done_at.is_(None))
        .values(done_at=at, done_by=by, done_note=note)
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).mappings().first()
    return _task(row) if row is not None else await get_task(session, task_id)


async def reopen(session: AsyncSession, task_id: int) -> AlertTask | None:
    """Make a task open again (forgetting who did it); None for an unknown task."""
    statement = (
        update(t)
        .where(t.c.id == task_id)
        .values(done_at=None, done_by=None, done_note=None)
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).mappings().first()
    return _task(row) if row is not None else None


async def overdue_counts(session: AsyncSession, now: datetime) -> dict[str, int]:
    """How many tasks are overdue at `now`, by owner role (roles with none are absent)."""
    statement = (
        select(t.c.owner_role, func.count())
        .where(t.c.done_at.is_(None), t.c.due_at <= now)
        .group_by(t.c.owner_role)
    )
    return {str(role): int(count) for role, count in (await session.execute(statement)).all()}


def _filtered(
    statement: Select[tuple[object, ...]], query: TaskQuery
) -> Select[tuple[object, ...]]:
    conditions: list[ColumnElement[bool]] = []
    if query.state == "done":
        conditions.append(t.c.done_at.is_not(None))
    elif query.state == "open":
        conditions.append(t.c.done_at.is_(None))
    elif query.state == "overdue":
        conditions += [t.c.done_at.is_(None), t.c.due_at <= query.now]
    for column, value in (
        (t.c.assignee, query.assignee),
        (t.c.owner_role, query.owner_role),
        (t.c.account_id, query.account_id),
        (t.c.alert_id, query.alert_id),
    ):
        if value is not None:
            conditions.append(column == value)
    return statement.where(*conditions)


def _task(row: RowMapping) -> AlertTask:
    return AlertTask(**row)
