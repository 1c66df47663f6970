"""The renewals service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.settings import Settings

SCHEMA = "renewals"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = "Forecasts renewals (risk-adjusted ARR) and measures retention (NRR, GRR, churn)."


def create_app(settings: Settings | None = None) -> FastAPI:
    """The renewals app on the service kit: probes, metrics, OpenAPI."""
    spec = ServiceSpec(name="renewals", schema=SCHEMA, description=DESCRIPTION)
    return create_service_app(spec, settings or Settings())
