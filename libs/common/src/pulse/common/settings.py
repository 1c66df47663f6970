"""Pulse settings: every knob in one place, read from `PULSE_*` environment variables.

Build a `Settings` at the edge (CLI, app lifespan, test fixture) and pass it down;
nothing imports a module-level instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The key `make run` prints; accepted only when `PULSE_ENV=dev`.
DEV_API_KEYS = "dev:pulse-dev-key:ingest+read+write+admin"
SCOPES = frozenset({"ingest", "read", "write", "admin"})

ServiceName = Literal["ingest", "health", "alerts", "renewals"]
SERVICE_NAMES: tuple[ServiceName, ...] = ("ingest", "health", "alerts", "renewals")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key from `PULSE_API_KEYS`: who it is, its secret, what it may do."""

    name: str
    secret: str
    scopes: frozenset[str]


def parse_api_keys(raw: str) -> tuple[ApiKey, ...]:
    """Parse `name:secret:scope+scope,...`, naming the bad entry when one is malformed."""
    keys: list[ApiKey] = []
    for position, entry in enumerate(part.strip() for part in raw.split(",")):
        if not entry:
            continue
        fields = entry.split(":")
        if len(fields) != 3 or not all(fields):
            raise ValueError(
                f"PULSE_API_KEYS entry {position + 1} must be name:secret:scope+scope, "
                f"got {len(fields)} ':'-separated fields"
            )
        name, secret, scope_text = fields
        scopes = frozenset(scope_text.split("+"))
        unknown = scopes - SCOPES
        if unknown:
            raise ValueError(
                f"PULSE_API_KEYS entry {name!r} has unknown scope(s) {sorted(unknown)}; "
                f"known scopes are {sorted(SCOPES)}"
            )
        keys.append(ApiKey(name=name, secret=secret, scopes=scopes))
    return tuple(keys)


class Settings(BaseSettings):
    """Configuration shared by every Pulse process. Defaults suit `make run` on one machine."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", extra="ignore", frozen=True)

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="dev allows the built-in dev API key; prod refuses it."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = Field("127.0.0.1", description="Address the HTTP services bind to.")

    ingest_port: int = Field(8001, ge=1, le=65535)
    health_port: int = Field(8002, ge=1, le=65535)
    alerts_port: int = Field(8003, ge=1, le=65535)
    renewals_port: int = Field(8004, ge=1, le=65535)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How clients talk to Kafka; managed services want SASL_SSL."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_file: Path | None = Field(
        None, description="PEM bundle of the CAs to trust; unset: the system's."
    )
    kafka_ssl_cert_file: Path | None = Field(None, description="Client certificate (mTLS).")
    kafka_ssl_key_file: Path | None = Field(None, description="Key of the client certificate.")
    kafka_ssl_check_hostname: bool = True
    topic_prefix: str = Field(
        "pulse",
        pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        description="Prefix of every topic name: pulse.events.usage, pulse.dlq, ...",
    )
    topic_partitions: int = Field(6, ge=1, description="Partitions of topics Pulse creates.")
    topic_replication_factor: int = Field(1, ge=1)
    topic_retention_ms: int = Field(7 * 24 * 3600 * 1000, ge=60_000)
    producer_linger_ms: int = Field(5, ge=0, description="Producer batching delay.")
    producer_max_batch_bytes: int = Field(1024 * 1024, ge=16 * 1024)
    producer_request_timeout_ms: int = Field(
        10_000,
        ge=1000,
        description="How long a produced message may wait for Kafka's ack before it fails "
        "(and is then never sent later).",
    )
    consumer_max_batch: int = Field(
        30_000,
        ge=1,
        description="Most records one batch handles. A backlog drains in large batches, "
        "where an account with several events is re-scored once (so larger batches drain "
        "faster, for more memory while a batch is handled); a steady trickle comes "
        "in small ones.",
    )
    consumer_fetch_bytes_per_partition: int = Field(
        16 * 1_048_576,
        ge=65_536,
        description="Most bytes fetched from one partition per request (and so buffered "
        "ahead): with few partitions it bounds how large a batch can get.",
    )
    consumer_poll_timeout_ms: int = Field(200, ge=1)
    consumer_session_timeout_ms: int = Field(
        10_000, ge=1000, description="How long a silent consumer keeps its partitions."
    )

    database_url: SecretStr = Field(
        SecretStr("postgresql+asyncpg://postgres@127.0.0.1:5432/pulse"),
        description="SQLAlchemy URL of PostgreSQL (asyncpg driver).",
    )
    database_pool_size: int = Field(
        10,
        ge=1,
        description="Connections each service keeps to PostgreSQL. A request that finds "
        "them all busy waits for one (up to database_pool_timeout_s) rather than opening "
        "another: opening one costs PostgreSQL a process and the service a handshake, and "
        "doing that per request under load made a busy service slower still.",
    )
    database_read_pool_size: int = Field(
        5, ge=1, description="Connections for the API's reads, apart from the pool above."
    )
    database_pool_timeout_s: float = Field(
        30.0, gt=0, description="Longest wait for a free connection before an error."
    )

    api_keys: SecretStr = Field(
        SecretStr(DEV_API_KEYS),
        description="Comma-separated name:secret:scope+scope (scopes ingest, read, write, admin).",
    )
    dedupe_window_days: int = Field(7, ge=1)

    # For demos and simulations only: health, alerts and renewals judge "now" by a
    # simulated clock (`pulse.common.clock.CompressedClock`); ingest keeps the wall clock.
    simulated_time_start: AwareDatetime | None = Field(
        None,
        description="Demos and simulations only: the simulated time at the wall time "
        "PULSE_SIMULATED_TIME_ANCHOR (with ANCHOR and SPEED; unset: the wall clock).",
    )
    simulated_time_anchor: AwareDatetime | None = Field(
        None, description="The wall time at which the simulated clock reads START."
    )
    simulated_time_speed: float | None = Field(
        None, gt=0, description="Simulated seconds per wall second (86400: a day a second)."
    )
    simulated_time_end: AwareDatetime | None = Field(
        None, description="Where the simulated clock stands still (optional; after START)."
    )

    @field_validator("database_url", mode="after")
    @classmethod
    def _asyncpg_driver(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError("PULSE_DATABASE_URL must be a postgresql:// URL")
        return SecretStr(url)

    @model_validator(mode="after")
    def _kafka_transport_complete(self) -> Settings:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"PULSE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "PULSE_KAFKA_SASL_MECHANISM, PULSE_KAFKA_SASL_USERNAME and "
                "PULSE_KAFKA_SASL_PASSWORD"
            )
        for name in ("kafka_ssl_ca_file", "kafka_ssl_cert_file", "kafka_ssl_key_file"):
            path: Path | None = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"PULSE_{name.upper()}={path} is not a readable file")
        if (self.kafka_ssl_cert_file is None) != (self.kafka_ssl_key_file is None):
            raise ValueError("set both PULSE_KAFKA_SSL_CERT_FILE and PULSE_KAFKA_SSL_KEY_FILE")
        return self

    @model_validator(mode="after")
    def _simulated_time_complete(self) -> Settings:
        given = {
            name: getattr(self, f"simulated_time_{name}") is not None
            for name in ("start", "anchor", "speed")
        }
        if any(given.values()) and not all(given.values()):
            missing = [f"PULSE_SIMULATED_TIME_{n.upper()}" for n, ok in given.items() if not ok]
            raise ValueError(
                "a simulated clock needs PULSE_SIMULATED_TIME_START, _ANCHOR and _SPEED "
                f"together; missing {', '.join(missing)}"
            )
        end, start = self.simulated_time_end, self.simulated_time_start
        if end is not None and start is None:
            raise ValueError("PULSE_SIMULATED_TIME_END needs a simulated clock (START, ...)")
        if end is not None and start is not None and end <= start:
            raise ValueError(
                f"PULSE_SIMULATED_TIME_END ({end.isoformat()}) must be after "
                f"PULSE_SIMULATED_TIME_START ({start.isoformat()})"
            )
        return self

    @model_validator(mode="after")
    def _no_dev_secrets_outside_dev(self) -> Settings:
        keys = parse_api_keys(self.api_keys.get_secret_value())
        if self.env == "prod" and any(k.secret == "pulse-dev-key" for k in keys):
            raise ValueError(
                "PULSE_API_KEYS still holds the dev key while PULSE_ENV=prod; set real keys"
            )
        return self

    def parsed_api_keys(self) -> tuple[ApiKey, ...]:
        """The API keys, parsed and validated."""
        return parse_api_keys(self.api_keys.get_secret_value())

    def port_of(self, service: str) -> int:
        """The HTTP port a service listens on."""
        port: int = getattr(self, f"{service}_port")
        return port

    def bootstrap_servers(self) -> list[str]:
        """Bootstrap servers as a list for aiokafka."""
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    def kafka_client_options(self) -> dict[str, Any]:
        """Connection options every aiokafka client (producer, consumer, admin) takes."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers(),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol in ("SSL", "SASL_SSL"):
            context = create_ssl_context(
                cafile=self.kafka_ssl_ca_file,
                certfile=self.kafka_ssl_cert_file,
                keyfile=self.kafka_ssl_key_file,
            )
            context.check_hostname = self.kafka_ssl_check_hostname
            options["ssl_context"] = context
        if self.kafka_security_protocol.startswith("SASL_"):
            assert self.kafka_sasl_password is not None  # checked by the validator
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = self.kafka_sasl_password.get_secret_value()
        return options

    def librdkafka_config(self) -> dict[str, str]:
        """The same connection as librdkafka (confluent-kafka) properties."""
        config = {
            "bootstrap.servers": ",".join(self.bootstrap_servers()),
            "security.protocol": self.kafka_security_protocol,
        }
        files = {
            "ssl.ca.location": self.kafka_ssl_ca_file,
            "ssl.certificate.location": self.kafka_ssl_cert_file,
            "ssl.key.location": self.kafka_ssl_key_file,
        }
        config.update({key: str(path) for key, path in files.items() if path is not None})
        if not self.kafka_ssl_check_hostname:
            config["ssl.endpoint.identification.algorithm"] = "none"
        if self.kafka_security_protocol.startswith("SASL_"):
            assert self.kafka_sasl_password is not None  # checked by the validator
            config["sasl.mechanism"] = str(self.kafka_sasl_mechanism)
            config["sasl.username"] = str(self.kafka_sasl_username)
            config["sasl.password"] = self.kafka_sasl_password.get_secret_value()
        return config

    def sync_database_url(self) -> str:
        """The database URL without the async driver, for tools such as psql."""
        return self.database_url.get_secret_value().replace(
            "postgresql+asyncpg://", "postgresql://"
        )
