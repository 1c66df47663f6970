"""Settings of the alert engine (`PULSE_ALERTS_*`), beside the shared `Settings` and the
webhook delivery's `PULSE_WEBHOOK_*`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertsSettings(BaseSettings):
    """The rules and playbooks files and the clock of time-driven evaluation."""

    model_config = SettingsConfigDict(env_prefix="PULSE_ALERTS_", frozen=True, extra="ignore")

    rules_file: Path | None = Field(
        None,
        description="A rules YAML file. At start it is validated (the service refuses to "
        "start on an invalid file, naming each problem's path) and, when it differs from the "
        "rule set in force, stored as a new version. Unset: the stored rule set, or the "
        "shipped defaults on first start.",
    )
    playbooks_file: Path | None = Field(
        None,
        description="A playbooks YAML file. At start it is validated (the service refuses "
        "to start on an invalid file, naming each problem's path) and each of its playbooks "
        "that differs from the stored one is stored: created, brought back when deleted, or "
        "replaced under its next version. Playbooks it does not name stay as they are.",
    )
    tick_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often accounts whose rules change with time alone (a window "
        "edge, a silence reaching its length, a `for` ending) are re-evaluated, snoozed "
        "alerts wake, and rule changes made by other processes are adopted.",
    )
