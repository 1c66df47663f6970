"""The renewals service's FastAPI application."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI

from pulse.common.clock import Clock, clock_from_settings
from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.renewals.api import routes
from pulse.renewals.background import renewals_hook
from pulse.renewals.config import RenewalsSettings
from pulse.renewals.forecast.config import ForecastConfig
from pulse.renewals.money.rates import RateTable
from pulse.renewals.rates_file import RatesFileError, rate_table

SCHEMA = "renewals"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = "Forecasts renewals (risk-adjusted ARR) and measures retention (NRR, GRR, churn)."


def create_app(
    settings: Settings | None = None,
    config: RenewalsSettings | None = None,
    clock: Clock | None = None,
    forecast: ForecastConfig | None = None,
) -> FastAPI:
    """The renewals app: consumer, ticker, outbox relay, the forecast, retention and owner
    APIs, probes, metrics, OpenAPI.

    An invalid `PULSE_RENEWALS_*` setting or rates file stops it before it serves (exit
    2). `clock` says what day it is (tests move it forward); by default the wall clock,
    or the simulated one of `PULSE_SIMULATED_TIME_*`.
    """
    settings = settings or Settings()
    clock = clock or clock_from_settings(settings)
    config = config or load_settings_or_exit(RenewalsSettings)
    rates = _rates_or_exit(config)
    spec = ServiceSpec(
        name="renewals",
        schema=SCHEMA,
        description=DESCRIPTION,
        routers=(routes.router,),
        hooks=(renewals_hook(config, forecast or ForecastConfig(), rates, clock),),
    )
    return create_service_app(spec, settings)


def _rates_or_exit(config: RenewalsSettings) -> RateTable:
    """The rate table of the rates file (none: the reporting currency alone); on a problem
    print it and exit 2."""
    path = config.rates_file
    if path is None:
        return RateTable.single(config.reporting_currency)
    try:
        return rate_table(path.read_text("utf-8"), config.reporting_currency)
    except OSError as error:
        print(f"pulse: PULSE_RENEWALS_RATES_FILE {path}: {error.strerror}", file=sys.stderr)
    except RatesFileError as error:
        print(f"pulse: rates {path}: {error}", file=sys.stderr)
    raise SystemExit(2)
