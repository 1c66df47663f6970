"""Settings of the health service (`PULSE_HEALTH_*`), beside the shared `Settings`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pulse.health.api.model_upload import DEFAULT_MAX_MODEL_BYTES

#: The shortest step archive health keeps: a backtest needs a period to replay, and the
#: archive cannot be turned off (the keeper writes it in every batch).
MIN_ARCHIVE_DAYS = 30


class HealthSettings(BaseSettings):
    """The scoring model file and the re-scoring clock of health."""

    model_config = SettingsConfigDict(env_prefix="PULSE_HEALTH_", frozen=True, extra="ignore")

    model_file: Path | None = Field(
        None,
        description="A scoring model YAML file. At start it is validated (the service "
        "refuses to start on an invalid model, naming each problem's path) and, when it "
        "differs from the active model, stored as the new active version: every account is "
        "re-scored. Unset: the stored active model, or the shipped default on first start.",
    )
    tick_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How often accounts whose score changes with time alone (a window "
        "edge, an invoice growing overdue) are re-scored, and other processes' model "
        "changes adopted.",
    )
    hot_accounts: int = Field(
        20_000,
        ge=0,
        description="Cached accounts kept decoded (about 7 KiB each): the most recently "
        "scored. The others stay compressed in memory (about 2 KiB) and are decoded when an "
        "event or a due time needs them. Set it above the accounts that get events every "
        "few minutes.",
    )
    write_chunk: int = Field(
        500,
        ge=1,
        description="Re-scored accounts per chunk of writes: PostgreSQL writes one chunk "
        "while the next is scored, all in the batch's one transaction. Larger chunks mean "
        "fewer statements; smaller ones start writing sooner.",
    )
    rescore_defer_s: float = Field(
        5.0,
        ge=0,
        le=300,
        description="While a backlog drains, how long a batch's re-scores may wait for a "
        "later batch: an account with events in several batches is then scored once. "
        "Scores lag the applied events by up to this long meanwhile. 0: never defer.",
    )
    rescore_defer_backlog: int = Field(
        5_000,
        ge=1,
        description="Records waiting in the owned partitions after a batch from which its "
        "re-scores are deferred. Below it (a steady stream), every batch re-scores at once.",
    )
    account_gauges_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How often the accounts per band, segment and score decile are "
        "counted for /metrics (one GROUP BY over the scores table).",
    )
    max_model_bytes: int = Field(
        DEFAULT_MAX_MODEL_BYTES,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest `PUT /v1/scoring-model` body; a larger one is refused (413) "
        "before it is parsed. The shipped model is about 20 KiB.",
    )
    archive_days: int = Field(
        400,
        description="Days of the step archive kept for backtests (counted on health's "
        "clock): older steps are deleted, except each account's latest state at or before "
        "the cutoff and the steps after it, so a replay can still start at the cutoff. The "
        "default covers a model's longest window (365 days) and a backtest period.",
    )
    archive_prune_s: float = Field(
        3600.0,
        gt=0,
        le=86_400,
        description="How often steps older than `archive_days` are deleted (in batches, "
        "each in a short transaction of its own).",
    )

    @field_validator("archive_days")
    @classmethod
    def _archive_days_at_least_the_minimum(cls, days: int) -> int:
        if days < MIN_ARCHIVE_DAYS:
            raise ValueError(
                f"expected at least {MIN_ARCHIVE_DAYS} days, got {days}: the archive cannot "
                "be turned off, and a shorter one leaves a backtest no period to replay"
            )
        return days
