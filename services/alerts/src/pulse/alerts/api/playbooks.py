"""The playbook API (design §4): playbooks (`/v1/playbooks`) and the tasks they start
(`/v1/tasks`, `/v1/alerts/{alert_id}/tasks`). Reads take a `read` key, changes `write`."""

from __future__ import annotations

from fastapi import APIRouter

from pulse.alerts.api import playbook_routes, task_routes

router = APIRouter(prefix="/v1", tags=["playbooks"])
router.include_router(playbook_routes.router)
router.include_router(task_routes.router)
