"""Health processes killed, stopped and scaled out mid-stream end with the scores of a
single uninterrupted run: real broker, real PostgreSQL, real `python -m pulse.health`
children. The expected scores come from the pure scoring domain, with no I/O.

`make test` runs the quick form of each (one kill, fewer accounts); `make faults` the full one.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import create_database, drop_database, free_port
from pulse.devtools.testing.kafka import end_offsets, produce
from pulse.devtools.testing.plugin import settings_for_tests
from pulse.devtools.testing.services import running_service

from .recovery_processes import (
    PROGRESS_TIMEOUT_S,
    SCHEMA,
    START_TIMEOUT_S,
    assigned_partitions,
    committed,
    fresh_events,
    health_env,
    scalar,
    wait_for_offsets,
)
from .recovery_reference import assert_scores_match
from .recovery_stream import Stream, make_events, to_message

pytestmark = pytest.mark.integration


@dataclass(frozen=True, slots=True)
class KillRun:
    """How hard the kill -9 run hits: kills at these fractions of the stream, over
    `accounts` accounts of `events_each` events."""

    kill_at: tuple[float, ...]
    accounts: int
    events_each: int


KILL_RUNS = [
    pytest.param(KillRun(kill_at=(0.5,), accounts=60, events_each=50), id="quick"),
    pytest.param(
        KillRun(kill_at=(0.15, 0.45, 0.75), accounts=200, events_each=100),
        id="full",
        marks=pytest.mark.faults,
    ),
]
#: Accounts of the scale-out run (60 events each).
SHARED_ACCOUNTS = [
    pytest.param(40, id="quick"),
    pytest.param(120, id="full", marks=pytest.mark.faults),
]


@pytest.fixture
def recovery_settings(
    pulse_postgres_server_url: str, pulse_kafka_bootstrap: str, topic_prefix: str
) -> Iterator[Settings]:
    """Settings on a database of this test's own (health state of no other test), 3
    partitions; tests that need more replace `topic_partitions`."""
    name = f"pulse_r_{uuid.uuid4().hex[:12]}"
    url = create_database(pulse_postgres_server_url, name)
    try:
        yield settings_for_tests(pulse_kafka_bootstrap, url, topic_prefix)
    finally:
        drop_database(pulse_postgres_server_url, name)


@pytest.fixture
async def health_db(recovery_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database whose unqualified tables are health's."""
    engine = create_engine(recovery_settings, schema=SCHEMA)
    yield engine
    await engine.dispose()


@pytest.mark.parametrize("run", KILL_RUNS)
async def test_kill_9_mid_stream_again_and_again_gives_the_scores_of_one_clean_run(
    recovery_settings: Settings, health_db: AsyncEngine, tmp_path: Path, run: KillRun
) -> None:
    settings = recovery_settings
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261123)
    accounts = [f"acct-{n:03d}" for n in range(run.accounts)]
    events = make_events(rng, accounts, run.events_each, datetime.now(UTC))
    messages = [to_message(topics, e) for e in events] * 2  # every event id twice
    rng.shuffle(messages)
    stream = Stream(events, messages)
    ends = end_offsets(messages, settings.topic_partitions)
    total = sum(ends.values())
    await ensure_topics(settings, topics.all)
    await produce(settings, messages)

    env = health_env(settings)
    logs: list[Path] = []
    kills: list[int] = []
    for target in run.kill_at:
        log = tmp_path / f"health-{len(logs)}.log"
        logs.append(log)
        with running_service("health", env, free_port(), log, START_TIMEOUT_S) as (_, process):
            deadline = time.monotonic() + PROGRESS_TIMEOUT_S
            while True:
                done = sum((await committed(health_db, settings.topic_prefix)).values())
                if done >= target * total and done > (kills[-1] if kills else 0):
                    break
                assert process.poll() is None, f"health exited early; see {log}"
                assert time.monotonic() < deadline, f"no progress to {target:.0%}; see {log}"
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0, 0.05))  # land inside a batch, not just after one
            process.kill()
            assert process.wait(30) == -signal.SIGKILL
        done = sum((await committed(health_db, settings.topic_prefix)).values())
        assert done < total, f"health finished before the kill at {target:.0%}; see {log}"
        kills.append(done)
    assert kills == sorted(set(kills)), kills  # a different progress point each time
    print(f"killed at {kills} of {total} messages committed")

    log = tmp_path / f"health-{len(logs)}.log"
    logs.append(log)
    with running_service("health", env, free_port(), log, START_TIMEOUT_S) as (url, process):
        try:
            await wait_for_offsets(health_db, settings.topic_prefix, ends, [process], [log])
            await assert_scores_match(url, stream)
            distinct = len({(e.account_id, e.id) for e in events})
            assert distinct == len(events)
            assert await scalar(health_db, "SELECT count(*) FROM processed_events") == distinct
            assert await scalar(health_db, "SELECT count(*) FROM account_states") == len(accounts)
        except BaseException:
            print(f"health logs: {[str(p) for p in logs]}; progress at the kills: {kills}")
            raise


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
@pytest.mark.parametrize("shared_accounts", SHARED_ACCOUNTS)
async def test_a_second_process_shares_the_load_and_its_partitions_move_to_the_survivor(
    recovery_settings: Settings,
    health_db: AsyncEngine,
    tmp_path: Path,
    stop_signal: int,
    shared_accounts: int,
) -> None:
    settings = recovery_settings.model_copy(update={"topic_partitions": 6})
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261124)
    accounts = [f"acct-{n:03d}" for n in range(shared_accounts)]
    events = make_events(rng, accounts, 60, datetime.now(UTC))
    # Every account has events in both halves; each event is sent twice, and half of the
    # first half's repeats come only in the second half (after their first owner stopped).
    first = [e for e in events if int(e.id.rsplit("-", 1)[1]) % 2 == 0]
    second = [e for e in events if int(e.id.rsplit("-", 1)[1]) % 2 == 1]
    half = len(first) // 2
    first_messages = [to_message(topics, e) for e in first + first[:half]]
    second_messages = [to_message(topics, e) for e in second + second + first[half:]]
    rng.shuffle(first_messages)
    rng.shuffle(second_messages)
    stream = Stream(events, first_messages + second_messages)
    await ensure_topics(settings, topics.all)

    env = health_env(settings)
    logs = [tmp_path / "health-survivor.log", tmp_path / "health-stopped.log"]
    try:
        with ExitStack() as stack:
            survivor_url, survivor = stack.enter_context(
                running_service("health", env, free_port(), logs[0], START_TIMEOUT_S)
            )
            stopped_url, stopped = stack.enter_context(
                running_service("health", env, free_port(), logs[1], START_TIMEOUT_S)
            )
            # Both members of one generation: disjoint halves of all 6 partitions of each topic.
            every = {
                f"{t}[{p}]" for t in (*topics.all_events, topics.health_commands) for p in range(6)
            }
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                owned = [assigned_partitions(log) or set() for log in logs]
                if all(owned) and owned[0] | owned[1] == every and not owned[0] & owned[1]:
                    break
                assert time.monotonic() < deadline, f"no two-member assignment: {owned}; see {logs}"
                await asyncio.sleep(0.2)

            await produce(settings, first_messages)
            ends = end_offsets(first_messages, 6)
            await wait_for_offsets(
                health_db, settings.topic_prefix, ends, [survivor, stopped], logs
            )
            for url, log in ((survivor_url, logs[0]), (stopped_url, logs[1])):
                assert fresh_events(url) > 0, f"a member took no event; see {log}"
            stopped_fresh = fresh_events(stopped_url)
            stopped.send_signal(stop_signal)
            if stop_signal == signal.SIGTERM:
                # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean stop.
                assert stopped.wait(60) in (0, -signal.SIGTERM), f"see {logs[1]}"
                assert b"Application shutdown complete." in logs[1].read_bytes(), f"see {logs[1]}"
            else:  # its partitions move once its session times out
                assert stopped.wait(60) == -signal.SIGKILL

            await produce(settings, second_messages)
            ends = end_offsets(first_messages + second_messages, 6)
            await wait_for_offsets(health_db, settings.topic_prefix, ends, [survivor], logs[:1])
            assert assigned_partitions(logs[0]) == every  # the survivor took the rest over
            await assert_scores_match(survivor_url, stream)
            distinct = len(events)
            assert await scalar(health_db, "SELECT count(*) FROM processed_events") == distinct
            assert await scalar(health_db, "SELECT count(*) FROM account_states") == len(accounts)
            # Each distinct event taken once, by one of the two.
            assert fresh_events(survivor_url) + stopped_fresh == distinct
    except BaseException:
        print(f"health logs: {[str(p) for p in logs]}")
        raise
