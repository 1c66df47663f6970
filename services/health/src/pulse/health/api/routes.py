"""Health's HTTP API (design §4): scores, history, the account list, the scoring model,
CSM sentiment."""

from __future__ import annotations

from fastapi import APIRouter

from pulse.health.api import scores, scoring_model, sentiment

router = APIRouter(prefix="/v1", tags=["health"])
router.include_router(scores.router)
router.include_router(scoring_model.router)
router.include_router(sentiment.router)
