"""Settings of the ingest service (`PULSE_INGEST_*`), beside the shared `Settings`."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pulse.common.events import EVENT_TIME_FLOOR

MIB = 1024 * 1024


class IngestSettings(BaseSettings):
    """Limits, rate limiting and vendor webhook secrets of ingest."""

    model_config = SettingsConfigDict(
        env_prefix="PULSE_INGEST_", frozen=True, extra="ignore", populate_by_name=True
    )

    max_body_bytes: int = Field(
        5 * MIB, ge=1024, description="Largest request body, after gzip decompression."
    )
    max_events: int = Field(1000, ge=1, description="Most events in one request.")
    rate_limit_events_per_s: float = Field(
        50_000.0, gt=0, description="Sustained events per second allowed per API key."
    )
    rate_limit_burst: int = Field(
        100_000, ge=1, description="Events an API key may send at once after being idle."
    )
    retry_after_s: int = Field(2, ge=1, description="Retry-After of a 503.")
    publish_timeout_s: float = Field(
        4.0,
        gt=0,
        le=300,
        description="Longest wait for Kafka to acknowledge a request's events (per 5,000) "
        "before answering 503; reading and validating come on top (a 503 within 5 s).",
    )
    stripe_signing_secret: SecretStr | None = Field(
        None, description="Stripe endpoint secret (whsec_...); when set, signatures are required."
    )
    zendesk_signing_secret: SecretStr | None = Field(None, description="Zendesk webhook secret.")
    segment_shared_secret: SecretStr | None = Field(None, description="Segment shared secret.")
    statuspage_token: SecretStr | None = Field(
        None, description="Token Statuspage must send in X-Pulse-Webhook-Token."
    )
    signature_tolerance_s: int = Field(
        300, ge=1, description="How old (or early) a signed webhook may be."
    )
    statuspage_component_accounts: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Statuspage component id → accounts, as JSON: {"cmp_1": ["acme"], '
        '"cmp_2": ["*"]}; "*" or an empty map means every known account.',
    )

    event_time_floor: datetime = Field(
        EVENT_TIME_FLOOR,
        validation_alias="PULSE_EVENT_TIME_FLOOR",
        description="Earliest occurred_at accepted (RFC 3339 with a zone, e.g. "
        "2020-01-01T00:00:00Z); events before it are rejected, naming it.",
    )

    @field_validator("event_time_floor")
    @classmethod
    def _floor_between_default_and_now(cls, floor: datetime) -> datetime:
        # Health decodes events with the default floor: a lower one here would let in
        # events it dead-letters.
        if floor.tzinfo is None:
            raise ValueError("expected a time with a zone such as 2020-01-01T00:00:00Z")
        floor = floor.astimezone(UTC)
        if floor < EVENT_TIME_FLOOR:
            raise ValueError(
                f"expected {EVENT_TIME_FLOOR.isoformat()} or later (health refuses earlier "
                f"events), got {floor.isoformat()}"
            )
        if floor > datetime.now(UTC):
            raise ValueError(f"expected a moment in the past, got {floor.isoformat()}")
        return floor

    def signing_secret(self, source: str) -> str | None:
        """The configured secret of a vendor source, or None when signatures are off."""
        secret: SecretStr | None = {
            "stripe": self.stripe_signing_secret,
            "zendesk": self.zendesk_signing_secret,
            "segment": self.segment_shared_secret,
            "statuspage": self.statuspage_token,
        }.get(source)
        return secret.get_secret_value() if secret is not None else None
