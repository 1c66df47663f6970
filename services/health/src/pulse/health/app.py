"""The health service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.clock import Clock, clock_from_settings
from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.health.api import routes
from pulse.health.background import health_hook
from pulse.health.config import HealthSettings
from pulse.health.startup_model import model_file_or_exit

SCHEMA = "health"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Keeps an explained, multi-dimensional health score per account, current within seconds."
)


def create_app(
    settings: Settings | None = None,
    config: HealthSettings | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The health app: consumer, scores API, probes, metrics, OpenAPI.

    An invalid `PULSE_HEALTH_*` setting or model file stops it before it serves (exit 2).
    `clock` is the time scores are computed at (tests move it forward); by default the
    wall clock, or the simulated one of `PULSE_SIMULATED_TIME_*`.
    """
    settings = settings or Settings()
    config = config or load_settings_or_exit(HealthSettings)
    clock = clock or clock_from_settings(settings)
    model_file = model_file_or_exit(config.model_file) if config.model_file else None
    spec = ServiceSpec(
        name="health",
        schema=SCHEMA,
        description=DESCRIPTION,
        routers=(routes.router,),
        hooks=(health_hook(config, model_file, clock),),
    )
    return create_service_app(spec, settings)
