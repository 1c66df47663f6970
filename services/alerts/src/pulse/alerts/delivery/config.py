"""Settings of webhook delivery (`PULSE_WEBHOOK_*`), beside the shared `Settings`."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pulse.alerts.webhooks.rotation import DEFAULT_OVERLAP, MAX_OVERLAP


class WebhookSettings(BaseSettings):
    """Where webhooks may go, how long an attempt may take, how many run at once."""

    model_config = SettingsConfigDict(env_prefix="PULSE_WEBHOOK_", frozen=True, extra="ignore")

    allow_private: bool = Field(
        False,
        description="Allow destinations on loopback, private, link-local and unique-local "
        "networks (local development, on-premises receivers). Cloud metadata, multicast and "
        "unspecified addresses stay refused.",
    )
    attempt_timeout_s: float = Field(
        10.0,
        gt=0,
        le=60,
        description="The most one attempt may take, from resolving the host to the "
        "response's status line; longer is a timeout (a failed attempt).",
    )
    rotation_overlap_s: float = Field(
        DEFAULT_OVERLAP.total_seconds(),
        ge=0,
        le=MAX_OVERLAP.total_seconds(),
        description="How long the old secret keeps signing after a rotation, unless the "
        "rotation names its own overlap (0 to 7 days).",
    )
    per_subscription_concurrency: int = Field(
        16,
        ge=1,
        le=64,
        description="Attempts in flight to one subscription at most: a slow endpoint holds "
        "this many, never the workers of the others. An endpoint answering in 80 ms takes "
        "about 200 messages/s at 16 (50 at 4, which a burst of alerts outran in the bench).",
    )
    workers: int = Field(
        32, ge=1, le=1024, description="Attempts in flight in this process at most."
    )
    log_retention_days: float = Field(
        30.0,
        gt=0,
        description="How long the delivery log (attempts, finished deliveries and their "
        "messages) is kept; purged hourly.",
    )
    poll_interval_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often due retries are looked for when nothing wakes the "
        "dispatcher (a commit that enqueued wakes it at once in this process).",
    )

    @property
    def rotation_overlap(self) -> timedelta:
        return timedelta(seconds=self.rotation_overlap_s)

    @property
    def log_retention(self) -> timedelta:
        return timedelta(days=self.log_retention_days)

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery is held: an attempt plus a margin for recording it.
        A process that dies mid-attempt frees it when the lease ends (a lease that ends
        before the record only repeats the message, under the same `webhook-id`)."""
        return timedelta(seconds=self.attempt_timeout_s * 2 + 10)
