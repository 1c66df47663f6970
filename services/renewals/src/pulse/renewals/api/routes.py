"""Renewals' HTTP API (design §4): forecast, retention and books of business."""

from __future__ import annotations

from fastapi import APIRouter

from pulse.renewals.api import forecast, owners, retention

router = APIRouter(prefix="/v1", tags=["renewals"])
router.include_router(forecast.router)
router.include_router(retention.router)
router.include_router(owners.router)
