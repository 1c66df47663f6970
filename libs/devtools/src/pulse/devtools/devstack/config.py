"""Settings of `pulse dev` itself: where its data lives and the ports of its embedded servers."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DevStackSettings(BaseSettings):
    """`PULSE_DEV_*`: the embedded broker and PostgreSQL that `pulse dev` starts."""

    model_config = SettingsConfigDict(env_prefix="PULSE_DEV_", frozen=True)

    dir: Path = Field(
        Path(".pulse"), description="Data and logs of the embedded stack; survives restarts."
    )
    kafka_port: int = Field(9092, ge=1, le=65535, description="Port of the embedded broker.")
    postgres_port: int = Field(
        5433, ge=1, le=65535, description="Port of the embedded PostgreSQL (5433: leaves 5432)."
    )
    database: str = Field("pulse", description="Database the services use.")
    start_timeout_s: float = Field(
        60.0, gt=0, description="How long services may take to answer /readyz."
    )
    drain_timeout_s: float = Field(
        30.0,
        ge=0,
        description="On Ctrl-C, how long to wait for consumers to catch up before stopping "
        "the in-memory broker; 0 does not wait.",
    )

    @property
    def log_dir(self) -> Path:
        """Where the broker's and PostgreSQL's own logs go."""
        return self.dir / "logs"

    @property
    def postgres_data_dir(self) -> Path:
        """PostgreSQL's data directory."""
        return self.dir / "postgres"
