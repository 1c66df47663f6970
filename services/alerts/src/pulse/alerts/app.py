"""The alerts service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.settings import Settings

SCHEMA = "alerts"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = "Fires risk playbooks when rules trip and delivers them as signed webhooks."


def create_app(settings: Settings | None = None) -> FastAPI:
    """The alerts app on the service kit: probes, metrics, OpenAPI."""
    spec = ServiceSpec(name="alerts", schema=SCHEMA, description=DESCRIPTION)
    return create_service_app(spec, settings or Settings())
