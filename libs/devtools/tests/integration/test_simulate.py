"""`pulse simulate`'s shell against a real ingest app: all accepted, retries, refusals, pace."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port
from pulse.devtools.ingest_sender import IngestError, IngestSender, RetryPolicy
from pulse.devtools.simulate_command import add_simulate_parser, run_simulate_command, write_truth
from pulse.devtools.simulation import Simulation, SimulationConfig
from pulse.devtools.simulation_runner import run_simulation
from pulse.devtools.testing.kafka import read_topics
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA, create_app
from pulse.ingest.config import IngestSettings

pytestmark = pytest.mark.integration

INGEST_SECRET = "ingest-secret"  # the test plugin's key with the ingest scope
IngestFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def ingest(pulse_settings: Settings) -> IngestFactory:
    """A running ingest app (migrated, topics created) with optional config; an HTTP client."""

    @asynccontextmanager
    async def start(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
        await asyncio.to_thread(
            upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
        )
        await ensure_topics(pulse_settings, Topics(pulse_settings.topic_prefix).all)
        app = create_app(pulse_settings, IngestSettings(**config))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
                yield client

    return start


def recent_config(accounts: int, days: int, seed: int = 29) -> SimulationConfig:
    """A simulation ending yesterday, as `pulse simulate` runs by default."""
    start = datetime.now(UTC).date() - timedelta(days=days)
    return SimulationConfig(seed=seed, accounts=accounts, days=days, start=start)


async def test_a_small_simulation_is_accepted_whole(
    ingest: IngestFactory, pulse_settings: Settings, tmp_path: Path
) -> None:
    simulation = Simulation(recent_config(accounts=30, days=20))
    async with ingest() as client:
        sender = IngestSender(client, INGEST_SECRET, batch_size=500)
        report = await run_simulation(simulation, sender, days_per_minute=None)
    assert report.days == 20
    assert report.generated > 1000
    assert report.accepted == report.generated
    assert sender.tally.rejected == []
    records = await read_topics(
        pulse_settings.kafka_bootstrap_servers,
        Topics(pulse_settings.topic_prefix).all_events,
        at_least=report.generated,
        idle_s=0.5,
    )
    assert len({orjson.loads(r.value or b"")["id"] for r in records}) == report.generated
    truth = tmp_path / "truth.jsonl"
    write_truth(truth, simulation.truth())
    lines = [orjson.loads(line) for line in truth.read_bytes().splitlines()]
    assert [line["account_id"] for line in lines] == [f"sim-{n:05d}" for n in range(30)]


async def test_rate_limited_batches_wait_as_ingest_asks_then_go_through(
    ingest: IngestFactory,
) -> None:
    events = [e for day in Simulation(recent_config(3, 3)).days() for e in day.events][:120]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async with ingest(rate_limit_events_per_s=100, rate_limit_burst=50) as client:
        sender = IngestSender(client, INGEST_SECRET, batch_size=40, lanes=1, sleep=sleep)
        await sender.send(events)
    assert sender.tally.accepted == len(events)
    assert sender.tally.retries == len(waits) > 0
    assert all(wait >= 1 for wait in waits)  # Retry-After is in whole seconds


async def test_a_refused_request_stops_with_ingest_s_error(ingest: IngestFactory) -> None:
    events = next(Simulation(recent_config(2, 2)).days()).events
    async with ingest() as client:
        sender = IngestSender(client, "not-a-key", retry=RetryPolicy(attempts=2))
        with pytest.raises(IngestError, match=r"ingest answered 401 .*\"error\""):
            await sender.send(events)
    assert sender.tally.retries == 0


async def test_days_are_paced_to_the_speed(ingest: IngestFactory) -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds  # the clock moves only when the run waits

    async with ingest() as client:
        sender = IngestSender(client, INGEST_SECRET)
        report = await run_simulation(
            Simulation(recent_config(3, 4)),
            sender,
            days_per_minute=600,  # a day every 0.1 s
            clock=lambda: now[0],
            sleep=sleep,
        )
    assert report.days == 4
    assert now[0] == pytest.approx(0.3)


def simulate_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pulse")
    add_simulate_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["simulate", *argv])


async def test_the_command_sends_over_http_and_writes_the_truth(
    pulse_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    await ensure_topics(pulse_settings, Topics(pulse_settings.topic_prefix).all)
    port = free_port()
    app = create_app(pulse_settings, IngestSettings())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises why it stopped
        await asyncio.sleep(0.05)
    truth = tmp_path / "truth.jsonl"
    argv = ("--accounts", "5", "--days", "3", "--speed", "max", "--seed", "4")
    args = simulate_args(
        *argv, "--ingest-url", f"http://127.0.0.1:{port}", "--api-key", INGEST_SECRET,
        "--truth", str(truth),
    )  # fmt: skip
    try:
        status = await asyncio.to_thread(run_simulate_command, args, pulse_settings)
    finally:
        server.should_exit = True
        await serving
    assert status == 0
    lines = [orjson.loads(line) for line in truth.read_bytes().splitlines()]
    assert len(lines) == 5
    assert {line["currency"] for line in lines} == {"USD"}  # the default, for `make run`
    assert "events/s" in capsys.readouterr().err


def test_the_command_refuses_days_past_tomorrow(
    pulse_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    args = simulate_args(
        "--start", tomorrow.isoformat(), "--days", "2", "--truth", str(tmp_path / "t")
    )
    assert run_simulate_command(args, pulse_settings) == 2
    assert "24 h ahead" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_speed_takes_max_or_a_positive_number() -> None:
    assert simulate_args("--speed", "max").speed is None
    assert simulate_args("--speed", "90").speed == 90.0
    with pytest.raises(SystemExit):
        simulate_args("--speed", "0")
