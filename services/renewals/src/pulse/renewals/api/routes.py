"""Renewals' HTTP API (design §4): forecast, retention and books of business."""

from __future__ import annotations

from fastapi import APIRouter

from pulse.renewals.api import forecast

router = APIRouter(prefix="/v1", tags=["renewals"])
router.include_router(forecast.router)
