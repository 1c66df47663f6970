"""The task routes: tasks listed by owner, role, account, alert and state in due order,
an alert's tasks, and marking a task done or open again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from pulse.alerts.api.playbook_params import Now, make_cursor, read_cursor
from pulse.alerts.playbooks.definitions import OwnerRole
from pulse.alerts.playbooks.task_state import TaskFilter, is_overdue
from pulse.alerts.playbooks_store import task_rows
from pulse.alerts.playbooks_store.task_rows import AlertTask, TaskQuery
from pulse.common.auth import ReadKey, WriteKey
from pulse.common.errors import NotFoundError
from pulse.common.service import Context

router = APIRouter()
TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
AlertIdPath = Annotated[str, Path(max_length=256)]


class DoneBody(BaseModel):
    """Who did the task, and a note; both optional."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(None, min_length=1, max_length=200)
    note: str | None = Field(None, max_length=2_000)


def task_body(task: AlertTask, now: datetime) -> dict[str, Any]:
    """A task as the API shows it, its state and lateness judged at `now`."""
    return {
        "id": task.id,
        "alert_id": task.alert_id,
        "account_id": task.account_id,
        "rule_id": task.rule_id,
        "playbook_id": task.playbook_id,
        "position": task.position,
        "title": task.title,
        "owner_role": task.owner_role,
        "assignee": task.assignee,
        "due_at": task.due_at,
        "state": "open" if task.done_at is None else "done",
        "overdue": is_overdue(task.due_at, task.done_at, now),
        "done_at": task.done_at,
        "done_by": task.done_by,
        "note": task.done_note,
        "created_at": task.created_at,
    }


@router.get("/tasks", summary="Alert tasks in due order, filtered and paginated")
async def list_tasks(
    _: ReadKey,
    context: Context,
    now: Now,
    owner: Annotated[str | None, Query(max_length=256, description="the assignee")] = None,
    role: OwnerRole | None = None,
    account_id: Annotated[str | None, Query(max_length=128)] = None,
    alert_id: Annotated[str | None, Query(max_length=256)] = None,
    state: Annotated[
        TaskFilter | None, Query(description="open (overdue included), done or overdue")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> dict[str, Any]:
    """Keyset pagination: pass `next_cursor` back as `cursor` for the next page."""
    query = TaskQuery(now, state, owner, role, account_id, alert_id)
    after = read_cursor(cursor) if cursor else None
    async with context.reads() as session:
        found = await task_rows.list_tasks(session, query, limit=limit + 1, after=after)
    page, more = found[:limit], len(found) > limit
    return {
        "tasks": [task_body(task, now) for task in page],
        "next_cursor": make_cursor(page[-1].due_at, page[-1].id) if more else None,
    }


@router.get("/alerts/{alert_id}/tasks", summary="An alert's tasks")
async def alert_tasks(
    _: ReadKey, alert_id: AlertIdPath, context: Context, now: Now
) -> dict[str, Any]:
    """The tasks the alert's playbook started, in playbook order ([] when none)."""
    async with context.reads() as session:
        tasks = (await task_rows.tasks_of_alerts(session, [alert_id]))[alert_id]
    return {"alert_id": alert_id, "tasks": [task_body(task, now) for task in tasks]}


@router.post("/tasks/{task_id}/done", summary="Mark a task done")
async def mark_done(
    key: WriteKey,
    task_id: TaskId,
    context: Context,
    now: Now,
    body: Annotated[DoneBody | None, Body()] = None,
) -> dict[str, Any]:
    """Done now, by `by` (default: the API key's name). A task already done keeps its
    first `done_at`, `done_by` and note; 404 for an unknown task."""
    by = body.by if body is not None and body.by is not None else key.name
    note = body.note if body is not None else None
    async with context.sessions.begin() as session:
        task = await task_rows.mark_done(session, task_id, at=now, by=by, note=note)
    if task is None:
        raise _not_found(task_id)
    return task_body(task, now)


@router.post("/tasks/{task_id}/reopen", summary="Open a done task again")
async def reopen(_: WriteKey, task_id: TaskId, context: Context, now: Now) -> dict[str, Any]:
    """Open again, forgetting who did it; an open task stays as it is. 404 when unknown."""
    async with context.sessions.begin() as session:
        task = await task_rows.reopen(session, task_id)
    if task is None:
        raise _not_found(task_id)
    return task_body(task, now)


def _not_found(task_id: int) -> NotFoundError:
    return NotFoundError(f"no task {task_id}")
