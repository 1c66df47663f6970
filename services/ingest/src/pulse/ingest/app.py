"""The ingest service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.ingest.config import IngestSettings
from pulse.ingest.routes import events, sources
from pulse.ingest.sources.registry import all_adapters
from pulse.ingest.state import ingest_hook

SCHEMA = "ingest"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Validates and normalises events (our envelope and vendor webhooks) onto Kafka "
    "topics keyed by account."
)


def create_app(settings: Settings | None = None, config: IngestSettings | None = None) -> FastAPI:
    """The ingest app: `/v1/events`, `/v1/sources/*`, probes, metrics, OpenAPI."""
    spec = ServiceSpec(
        name="ingest",
        schema=SCHEMA,
        description=DESCRIPTION,
        routers=(events.router, sources.router),
        hooks=(ingest_hook(config or load_settings_or_exit(IngestSettings), all_adapters()),),
    )
    return create_service_app(spec, settings or Settings())
