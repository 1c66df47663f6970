"""The alerts service's FastAPI application."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI

from pulse.alerts.api import playbooks, routes, webhooks
from pulse.alerts.background import alerts_hook
from pulse.alerts.config import AlertsSettings
from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.delivery.hook import webhook_hook
from pulse.alerts.keeping.keeper import Clock, utc_now
from pulse.alerts.playbook_hook import playbook_hook
from pulse.alerts.playbooks.definitions import PlaybookSet
from pulse.alerts.playbooks.loading import PlaybookError, load_playbooks
from pulse.alerts.rules.definitions import RuleSet
from pulse.alerts.rules.loading import RuleError, default_rules, load_rules
from pulse.common.service import ServiceSpec, create_service_app
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings

SCHEMA = "alerts"
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
DESCRIPTION = (
    "Evaluates risk rules on the event stream, opens alerts with the numbers that tripped "
    "them, starts playbooks and delivers Standard-Webhooks-signed messages."
)


def create_app(
    settings: Settings | None = None,
    config: AlertsSettings | None = None,
    clock: Clock = utc_now,
    webhook_config: WebhookSettings | None = None,
) -> FastAPI:
    """The alerts app: consumer, ticker, webhook dispatcher, the alert, rule, playbook and
    webhook APIs, probes, metrics, OpenAPI.

    An invalid `PULSE_ALERTS_*` or `PULSE_WEBHOOK_*` setting, rules or playbooks file stops
    it before it serves (exit 2). `clock` is the time rules are evaluated and webhooks
    retried at (tests move it forward).
    """
    config = config or load_settings_or_exit(AlertsSettings)
    webhook_config = webhook_config or load_settings_or_exit(WebhookSettings)
    rule_set, source = _rules_or_exit(config)
    file_playbooks = _playbooks_or_exit(config.playbooks_file) if config.playbooks_file else None
    spec = ServiceSpec(
        name="alerts",
        schema=SCHEMA,
        description=DESCRIPTION,
        routers=(routes.router, playbooks.router, webhooks.router),
        hooks=(
            playbook_hook(clock, from_file=file_playbooks),
            webhook_hook(webhook_config, clock),
            alerts_hook(config, rule_set, source, clock),
        ),
    )
    return create_service_app(spec, settings or Settings())


def _rules_or_exit(config: AlertsSettings) -> tuple[RuleSet, str]:
    """The rules to start with and where they came from; on a problem in the rules file,
    print one line each and exit 2."""
    path = config.rules_file
    if path is None:
        return default_rules(), "the shipped defaults"
    try:
        return load_rules(path.read_text("utf-8")), str(path)
    except OSError as error:
        print(f"pulse: PULSE_ALERTS_RULES_FILE {path}: {error.strerror}", file=sys.stderr)
    except RuleError as error:
        for where, message in error.errors:
            print(f"pulse: rules {path}: {where or '(top)'}: {message}", file=sys.stderr)
    raise SystemExit(2)


def _playbooks_or_exit(path: Path) -> PlaybookSet:
    """The playbooks of `PULSE_ALERTS_PLAYBOOKS_FILE`; on a problem print one line each
    and exit 2."""
    try:
        return load_playbooks(path.read_text("utf-8"))
    except OSError as error:
        print(f"pulse: PULSE_ALERTS_PLAYBOOKS_FILE {path}: {error.strerror}", file=sys.stderr)
    except PlaybookError as error:
        for where, message in error.errors:
            print(f"pulse: playbooks {path}: {where or '(top)'}: {message}", file=sys.stderr)
    raise SystemExit(2)
