"""Settings of the renewals service (`PULSE_RENEWALS_*`), beside the shared `Settings`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pulse.common.currencies import ISO_4217_CODES


class Capacity(BaseModel):
    """How many accounts one CSM should carry in a segment; None for a pooled segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: int = Field(ge=0)
    high: int = Field(ge=0)

    @model_validator(mode="after")
    def _low_not_above_high(self) -> Capacity:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


#: The issue's guideline: high touch 5-15 accounts per CSM, low touch 20-50, tech touch pooled.
DEFAULT_CAPACITY: dict[str, Capacity | None] = {
    "high_touch": Capacity(low=5, high=15),
    "low_touch": Capacity(low=20, high=50),
    "tech_touch": None,
}


class RenewalsSettings(BaseSettings):
    """Reporting currency, rate table, the ticker and the books' capacity guideline."""

    model_config = SettingsConfigDict(env_prefix="PULSE_RENEWALS_", frozen=True, extra="ignore")

    reporting_currency: str = Field(
        "USD", description="The ISO 4217 currency every forecast and retention figure is in."
    )
    rates_file: Path | None = Field(
        None,
        description="A YAML file of dated exchange rates into the reporting currency "
        "(`USD: [{valid_from: 2026-01-01, rate: 0.9}]`). Unset: only the reporting "
        "currency can be reported; another one is a 422 naming it.",
    )
    tick_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How often accounts not yet evaluated today are looked at again, so a "
        "renewal coming into the at-risk horizon sends `renewal.at_risk` without any event.",
    )
    capacity: dict[str, Capacity | None] = Field(
        default_factory=lambda: dict(DEFAULT_CAPACITY),
        description="Accounts per CSM by segment (JSON), null for a pooled segment.",
    )

    @field_validator("reporting_currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        if code not in ISO_4217_CODES:
            raise ValueError(f"{code!r} is not an active ISO 4217 currency code")
        return code
