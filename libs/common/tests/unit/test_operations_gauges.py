"""`pulse_dependency_up` follows the readiness checks; `pulse_db_pool_*` sums a service's
pools; a consumer group's freshness gauge only moves forward."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from pulse.common.db.engine import create_engine
from pulse.common.db.pool_gauges import PoolUsage, record_pool_usage
from pulse.common.kafka.freshness import NewestCommitted
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.readiness import check_readiness, watch_readiness
from pulse.common.score_changes import ScoreChange, time_of
from pulse.common.settings import Settings


def up(dependency: str) -> float | None:
    return REGISTRY.get_sample_value("pulse_dependency_up", {"dependency": dependency})


async def reachable() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("connection refused")


async def test_a_failed_check_sets_its_dependency_down() -> None:
    checks = await check_readiness({"kafka": reachable, "database": refused})
    assert checks == {"kafka": "ok", "database": "unavailable: connection refused"}
    assert (up("kafka"), up("postgres")) == (1.0, 0.0)
    await check_readiness({"kafka": refused, "database": reachable})
    assert (up("kafka"), up("postgres")) == (0.0, 1.0)


async def test_the_watch_checks_again_without_anyone_asking() -> None:
    rounds: list[float | None] = []
    probes = {"database": reachable}
    finished = asyncio.Event()

    def after() -> None:
        rounds.append(up("postgres"))
        probes["database"] = refused  # the database goes away after the first round
        if len(rounds) == 2:
            finished.set()

    watch = asyncio.create_task(watch_readiness(probes, every_s=0.01, after=after))
    await finished.wait()
    watch.cancel()
    assert rounds == [1.0, 0.0]


def test_pool_gauges_sum_the_write_and_read_pools() -> None:
    settings = Settings(database_pool_size=7, database_read_pool_size=3)
    engines = [
        create_engine(settings, schema="health"),
        create_engine(settings, schema="health", for_reads=True),
    ]
    assert record_pool_usage(engines) == PoolUsage(in_use=0, idle=0, size=10)
    assert REGISTRY.get_sample_value("pulse_db_pool_size") == 10
    assert REGISTRY.get_sample_value("pulse_db_pool_connections", {"state": "in_use"}) == 0


def score(at: datetime) -> ScoreChange:
    return ScoreChange("m1", "acme", 50.0, "yellow", None, None, None, at)


def record(value: ScoreChange) -> Record[ScoreChange]:
    message = ConsumedMessage("pulse.health.scores", 0, 0, b"acme", b"{}", 0, ())
    return Record(message, value)


def test_the_freshness_gauge_moves_forward_only() -> None:
    noon = datetime(2026, 12, 3, 12, tzinfo=UTC)
    newest = NewestCommitted[ScoreChange]("pulse-test-fresh", time_of)
    newest.committed([record(score(noon - timedelta(hours=1))), record(score(noon))])
    newest.committed([record(score(noon - timedelta(days=2)))])  # late: the gauge stays
    newest.committed([])
    gauge = REGISTRY.get_sample_value(
        "pulse_consumer_newest_event_timestamp_seconds", {"group": "pulse-test-fresh"}
    )
    assert gauge == noon.timestamp()


def test_without_a_message_time_the_group_reports_none() -> None:
    NewestCommitted[ScoreChange]("pulse-test-undated", None).committed(
        [record(score(datetime.now(UTC)))]
    )
    labels = {"group": "pulse-test-undated"}
    assert (
        REGISTRY.get_sample_value("pulse_consumer_newest_event_timestamp_seconds", labels) is None
    )
