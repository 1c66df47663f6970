"""The ingest service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.settings import Settings

SCHEMA = "ingest"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Validates and normalises events (our envelope and vendor webhooks) onto Kafka "
    "topics keyed by account."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ingest app on the service kit: probes, metrics, OpenAPI."""
    spec = ServiceSpec(name="ingest", schema=SCHEMA, description=DESCRIPTION)
    return create_service_app(spec, settings or Settings())
