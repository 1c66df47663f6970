"""Alerts' HTTP API (design §4): alerts and rules (playbooks and webhooks join here)."""

from __future__ import annotations

from fastapi import APIRouter

from pulse.alerts.api import alerts, rules

router = APIRouter(prefix="/v1", tags=["alerts"])
router.include_router(alerts.router)
router.include_router(rules.router)
