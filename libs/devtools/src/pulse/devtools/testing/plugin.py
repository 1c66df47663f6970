"""Pytest fixtures for Pulse: a real Kafka-protocol broker and PostgreSQL, isolated per test.

The root config loads this plugin for every pytest run (`-p pulse.devtools.testing.plugin`),
so importing it starts nothing and imports nothing heavy: each fixture imports the embedded
servers, testcontainers or `Settings` when a test first asks for it.

Where things come from, first match wins:
- Kafka: `PULSE_KAFKA_BOOTSTRAP_SERVERS`; a Kafka container when `PULSE_TEST_CONTAINERS=1` and
  Docker answers; else an embedded tansu broker on a free port, stopped at session end.
- PostgreSQL: `PULSE_DATABASE_URL` (the server; databases are created next to it); a Postgres
  container when asked and Docker answers; else an embedded server in a fresh temp folder.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pulse.common.settings import Settings

KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"  # Apache Kafka; the image KafkaContainer drives
POSTGRES_IMAGE = "postgres:18-alpine"
TEST_API_KEYS = (
    "test-ingest:ingest-secret:ingest,"
    "test-read:read-secret:read,"
    "test-admin:admin-secret:ingest+read+write+admin"
)
#: Authorization headers of the test keys above.
INGEST_KEY = {"Authorization": "Bearer ingest-secret"}
READ_KEY = {"Authorization": "Bearer read-secret"}
ADMIN_KEY = {"Authorization": "Bearer admin-secret"}
_INTEGRATION_MARKER = "integration: needs the real broker and PostgreSQL"


def pytest_configure(config: pytest.Config) -> None:
    """Register the `integration` marker unless the project config already does."""
    registered = [line.split(":", 1)[0].strip() for line in config.getini("markers")]
    if "integration" not in registered:
        config.addinivalue_line("markers", _INTEGRATION_MARKER)


@pytest.fixture(scope="session")
def pulse_kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Kafka-protocol broker for the whole session."""
    external = os.environ.get("PULSE_KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
    elif _containers_usable():
        yield from _kafka_container()
    else:
        yield from _embedded_broker()


@pytest.fixture(scope="session")
def pulse_postgres_server_url() -> Iterator[str]:
    """URL of the maintenance database of a real PostgreSQL server for the whole session."""
    external = os.environ.get("PULSE_DATABASE_URL")
    if external:
        yield external
    elif _containers_usable():
        yield from _postgres_container()
    else:
        yield from _embedded_postgres()


@pytest.fixture(scope="module")
def pulse_database_url(pulse_postgres_server_url: str) -> Iterator[str]:
    """A fresh database `pulse_t_<hex12>` for one test module, dropped at module end."""
    from pulse.devtools.embedded import create_database, drop_database

    name = f"pulse_t_{uuid.uuid4().hex[:12]}"
    url = create_database(pulse_postgres_server_url, name)
    try:
        yield url
    finally:
        drop_database(pulse_postgres_server_url, name)


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of its own for each test, so tests never read each other's records."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def pulse_settings(
    pulse_kafka_bootstrap: str, pulse_database_url: str, topic_prefix: str
) -> Settings:
    """Settings pointing at the session broker, the module database and this test's topics."""
    return settings_for_tests(pulse_kafka_bootstrap, pulse_database_url, topic_prefix)


def settings_for_tests(bootstrap: str, database_url: str, topic_prefix: str) -> Settings:
    """Test settings on this broker, database and topic prefix: 3 partitions, the test API
    keys, quick polls."""
    from pulse.common.settings import Settings

    return Settings(
        env="test",
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        topic_prefix=topic_prefix,
        topic_partitions=3,
        api_keys=TEST_API_KEYS,
        consumer_poll_timeout_ms=50,
        # A stack stopped by one test leaves its group; one that did not is forgotten
        # sooner, so the next test's stack joins without a long wait.
        consumer_session_timeout_ms=6000,
    )


def _embedded_broker() -> Iterator[str]:
    from pulse.devtools.embedded import EmbeddedBroker, free_port

    workdir = Path(tempfile.mkdtemp(prefix="pulse-kafka-"))
    broker = EmbeddedBroker(port=free_port(), log_path=workdir / "tansu.log")
    broker.start()  # on failure the folder stays: the error names its log
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()
        shutil.rmtree(workdir)


def _embedded_postgres() -> Iterator[str]:
    from pulse.devtools.embedded import EmbeddedPostgres, free_port

    # Not under pytest's tmp_path: /tmp/pytest-of-root is 0700, which the unprivileged
    # postgres user (when we run as root) cannot traverse.
    workdir = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    workdir.chmod(0o755)
    server = EmbeddedPostgres(workdir / "data", port=free_port(), log_path=workdir / "postgres.log")
    server.start()  # on failure the folder stays: the error names its log
    try:
        yield server.url("postgres")
    finally:
        server.stop()
        shutil.rmtree(workdir)


def _kafka_container() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        bootstrap: str = kafka.get_bootstrap_server()
        yield bootstrap


def _postgres_container() -> Iterator[str]:
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver="asyncpg") as postgres:
        url: str = postgres.get_connection_url()
        yield url


@functools.cache
def _containers_usable() -> bool:
    """True when `PULSE_TEST_CONTAINERS=1` and Docker answers; warns when it does not."""
    if os.environ.get("PULSE_TEST_CONTAINERS") != "1":
        return False
    from testcontainers.core.docker_client import DockerClient

    try:
        DockerClient().client.ping()
    except Exception as error:  # docker-py raises unrelated types when no daemon answers
        warnings.warn(
            f"PULSE_TEST_CONTAINERS=1 but Docker is not reachable ({error}); "
            "using the embedded broker and PostgreSQL instead",
            stacklevel=2,
        )
        return False
    return True
