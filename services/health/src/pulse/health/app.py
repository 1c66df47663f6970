"""The health service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.settings import Settings

SCHEMA = "health"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Keeps an explained, multi-dimensional health score per account, current within seconds."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The health app on the service kit: probes, metrics, OpenAPI."""
    spec = ServiceSpec(name="health", schema=SCHEMA, description=DESCRIPTION)
    return create_service_app(spec, settings or Settings())
