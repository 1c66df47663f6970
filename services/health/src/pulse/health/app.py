"""The health service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.settings import Settings
from pulse.health import api
from pulse.health.runtime import health_hook

SCHEMA = "health"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Keeps an explained, multi-dimensional health score per account, current within seconds."
)
#: How often accounts whose score changes with time alone are re-scored.
TICK_S = 60.0


def create_app(settings: Settings | None = None, tick_s: float = TICK_S) -> FastAPI:
    """The health app: consumer, scores API, probes, metrics, OpenAPI."""
    spec = ServiceSpec(
        name="health",
        schema=SCHEMA,
        description=DESCRIPTION,
        routers=(api.router,),
        hooks=(health_hook(tick_s),),
    )
    return create_service_app(spec, settings or Settings())
