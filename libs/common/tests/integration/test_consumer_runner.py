"""The consumer runner on the real broker and Postgres: keyed partitioning, dead letters,
and effectively-once state across kill -9 (three kills under `make faults`, one in
`make test`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine
from pulse.common.db.tables import metadata
from pulse.common.kafka import dead_letters
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.kafka.topic_ids import topic_ids
from pulse.common.settings import Settings
from pulse.common.topics import Topics

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("counting_consumer.py")
CREATE_BATCH_LOG = (
    "CREATE TABLE IF NOT EXISTS batch_log (n serial PRIMARY KEY, size int, waiting int)"
)
SCHEMA = "counting"


@pytest.fixture
async def counting_db(pulse_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The counting consumer's schema, emptied for each test."""
    engine = create_engine(pulse_settings, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await connection.run_sync(metadata.create_all)
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS event_counts (account_id text PRIMARY KEY, n int)")
        )
        await connection.execute(text(CREATE_BATCH_LOG))
        await connection.execute(
            text("TRUNCATE event_counts, batch_log, consumer_offsets, processed_events, outbox")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def topic(pulse_settings: Settings) -> str:
    return f"{pulse_settings.topic_prefix}.events.usage"


@pytest.fixture
async def producer(pulse_settings: Settings, topic: str) -> AsyncIterator[PulseProducer]:
    await ensure_topics(pulse_settings, [topic, Topics(pulse_settings.topic_prefix).dlq])
    started = PulseProducer(pulse_settings, client_id="test")
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
def start_consumer(
    pulse_settings: Settings, topic: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Starts counting_consumer.py processes; kills leftovers at the end of the test."""
    children: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PULSE_KAFKA_BOOTSTRAP_SERVERS": pulse_settings.kafka_bootstrap_servers,
        "PULSE_DATABASE_URL": pulse_settings.database_url.get_secret_value(),
        "PULSE_TOPIC_PREFIX": pulse_settings.topic_prefix,
        "PULSE_ENV": "test",
        "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
        "PULSE_CONSUMER_MAX_BATCH": "100",
        "PULSE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    }

    def start(*extra: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"consumer-{len(children)}.log").open("wb")
        child = subprocess.Popen(
            [sys.executable, str(CHILD), f"{pulse_settings.topic_prefix}-counting", topic, *extra],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait()


def event(account: str, event_id: str, **extra: object) -> OutgoingMessage:
    body = {"id": event_id, "account_id": account, **extra}
    return OutgoingMessage(topic="", key=account.encode(), value=orjson.dumps(body))


async def produce(producer: PulseProducer, topic: str, messages: list[OutgoingMessage]) -> None:
    await producer.send_and_wait_all(
        [OutgoingMessage(topic, m.key, m.value, m.headers) for m in messages]
    )


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT account_id, n FROM event_counts"))
        return {account: n for account, n in rows}


async def wait_for_total(
    engine: AsyncEngine, expected: int, within_s: float = 60.0
) -> dict[str, int]:
    """Poll until the counted total reaches `expected` (or the bounded wait ends)."""
    deadline = time.monotonic() + within_s
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        seen = await counts(engine)
        if sum(seen.values()) >= expected:
            await asyncio.sleep(0.5)  # let a double count, if any, show up
            return await counts(engine)
        await asyncio.sleep(0.1)
    return seen


async def read_all(settings: Settings, topic: str, expected: int) -> list[object]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[object] = []
    try:
        deadline = time.monotonic() + 30
        while len(records) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


def stop(child: subprocess.Popen[bytes]) -> int:
    child.send_signal(signal.SIGTERM)
    return child.wait(timeout=20)


async def test_events_of_one_account_land_on_one_partition(
    pulse_settings: Settings, producer: PulseProducer, topic: str
) -> None:
    accounts = [f"acct-{i}" for i in range(30)]
    await produce(producer, topic, [event(a, f"{a}-{n}") for n in range(10) for a in accounts])

    records = await read_all(pulse_settings, topic, 300)

    partitions_of: dict[str, set[int]] = {}
    for record in records:
        partitions_of.setdefault(record.key.decode(), set()).add(record.partition)  # type: ignore[attr-defined]
    assert len(records) == 300
    assert all(len(p) == 1 for p in partitions_of.values())
    assert len({p for ps in partitions_of.values() for p in ps}) == 3


async def test_garbage_goes_to_the_dead_letter_topic_and_consuming_goes_on(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    garbage = OutgoingMessage(topic, b"acme", b"\x00\xff not json")
    not_an_event = OutgoingMessage(topic, b"acme", b"[1, 2, 3]")
    await produce(
        producer, topic, [event("acme", "e1"), garbage, not_an_event, event("acme", "e2")]
    )
    child = start_consumer()

    assert await wait_for_total(counting_db, 2) == {"acme": 2}
    await produce(producer, topic, [event("acme", "e3")])
    assert await wait_for_total(counting_db, 3) == {"acme": 3}

    letters = await read_all(pulse_settings, Topics(pulse_settings.topic_prefix).dlq, 2)
    headers = [dict(r.headers) for r in letters]  # type: ignore[attr-defined]
    assert [h[dead_letters.REASON] for h in headers] == [b"invalid_json", b"invalid_event"]
    assert [r.value for r in letters] == [garbage.value, not_an_event.value]  # type: ignore[attr-defined]
    assert all(h[dead_letters.SOURCE_TOPIC] == topic.encode() for h in headers)
    assert child.poll() is None
    assert stop(child) == 0


async def test_an_event_the_handler_rejects_is_dead_lettered_and_the_rest_kept(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    batch = [event("acme", "e1"), event("acme", "bad", poison=True), event("acme", "e2")]
    await produce(producer, topic, batch)
    child = start_consumer()

    assert await wait_for_total(counting_db, 2) == {"acme": 2}
    letters = await read_all(pulse_settings, Topics(pulse_settings.topic_prefix).dlq, 1)
    assert len(letters) == 1
    assert dict(letters[0].headers)[dead_letters.REASON] == b"handler_error"  # type: ignore[attr-defined]
    assert orjson.loads(letters[0].value)["id"] == "bad"  # type: ignore[attr-defined]
    assert stop(child) == 0


def stream_with_duplicates() -> tuple[list[OutgoingMessage], dict[str, int]]:
    """1,000 events over 20 accounts, then 100 of them sent again with the same ids."""
    originals = [event(f"acct-{i % 20}", f"evt-{i}") for i in range(1000)]
    expected = {f"acct-{a}": 50 for a in range(20)}
    return originals + originals[::10], expected


async def test_a_consumer_killed_after_writing_state_before_commit_resumes_without_double_counting(
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    messages, expected = stream_with_duplicates()
    await produce(producer, topic, messages)

    dying = start_consumer("--die-after-write-in-batch", "3")
    assert dying.wait(timeout=60) == -signal.SIGKILL
    partial = sum((await counts(counting_db)).values())
    survivor = start_consumer()

    assert partial < 1000
    assert await wait_for_total(counting_db, 1000) == expected
    assert stop(survivor) == 0


@pytest.mark.parametrize(
    "kill_after_s",
    [
        pytest.param((2.0,), id="quick"),
        pytest.param((1.5, 2.0, 2.5), id="full", marks=pytest.mark.faults),
    ],
)
async def test_kill_9_at_any_moment_neither_loses_nor_double_counts(
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
    kill_after_s: tuple[float, ...],
) -> None:
    messages, expected = stream_with_duplicates()
    await produce(producer, topic, messages)

    for delay in kill_after_s:  # a consumer killed that long after it was started
        child = start_consumer()
        await asyncio.sleep(delay)
        child.kill()
        child.wait()
    final = start_consumer()

    assert await wait_for_total(counting_db, 1000, within_s=90) == expected
    assert stop(final) == 0


async def test_stored_offsets_past_the_end_are_reported_and_the_topic_read_again(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    group = f"{pulse_settings.topic_prefix}-counting"
    async with counting_db.begin() as connection:
        for partition in range(3):
            await connection.execute(
                text(
                    "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) "
                    "VALUES (:g, :t, :p, 5000)"
                ),
                {"g": group, "t": topic, "p": partition},
            )
    await produce(producer, topic, [event(f"acct-{i}", f"e{i}") for i in range(12)])
    child = start_consumer()

    assert sum((await wait_for_total(counting_db, 12)).values()) == 12
    assert stop(child) == 0
    log = (tmp_path / "consumer-0.log").read_text()
    assert "stored offset is past the partition's end" in log


async def test_a_consumer_resumes_from_the_offsets_stored_in_postgres(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    await produce(producer, topic, [event(f"acct-{i}", f"e{i}") for i in range(30)])
    per_partition: dict[int, int] = {}
    for record in await read_all(pulse_settings, topic, 30):
        per_partition[record.partition] = per_partition.get(record.partition, 0) + 1  # type: ignore[attr-defined]
    # As if everything but the last 2 messages of each partition had been processed.
    async with counting_db.begin() as connection:
        for partition, count in per_partition.items():
            await connection.execute(
                text(
                    "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) "
                    "VALUES (:g, :t, :p, :n)"
                ),
                {
                    "g": f"{pulse_settings.topic_prefix}-counting",
                    "t": topic,
                    "p": partition,
                    "n": count - 2,
                },
            )
    child = start_consumer()

    assert sum((await wait_for_total(counting_db, 2 * len(per_partition))).values()) == 6
    assert stop(child) == 0


async def test_a_failed_assignment_load_rejoins_and_consumes_everything(
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    child = start_consumer("--fail-first-assignments", "1")
    await produce(producer, topic, [event(f"acct-{i}", f"e{i}") for i in range(30)])

    assert sum((await wait_for_total(counting_db, 30)).values()) == 30
    assert stop(child) == 0


async def test_the_runner_tells_the_handler_how_many_records_wait_after_its_batch(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
) -> None:
    total = 1_000  # produced before the consumer starts: a backlog of 100-record batches
    await produce(producer, topic, [event(f"acct-{i % 7}", f"e{i}") for i in range(total)])
    child = start_consumer()
    assert sum((await wait_for_total(counting_db, total)).values()) == total
    assert stop(child) == 0
    async with counting_db.connect() as connection:
        log = (
            await connection.execute(text("SELECT size, waiting FROM batch_log ORDER BY n"))
        ).all()
    handled = 0
    for size, waiting in log:
        handled += size
        assert 0 <= waiting <= total - handled  # never more than is left
    assert max(waiting for _, waiting in log) >= 500  # the backlog was seen
    assert log[-1][1] == 0  # the last batch has nothing after it


async def test_a_topic_created_again_is_read_from_its_beginning(
    pulse_settings: Settings,
    producer: PulseProducer,
    topic: str,
    counting_db: AsyncEngine,
    start_consumer: Callable[..., subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    # The probe's case: after a broker restart the topics are new, and by the time the
    # consumer resumes a partition holds at least as many messages as its stored offset.
    await produce(producer, topic, [event(f"acct-{i}", f"old-{i}") for i in range(30)])
    first = start_consumer()
    assert sum((await wait_for_total(counting_db, 30)).values()) == 30
    assert stop(first) == 0
    admin = AIOKafkaAdminClient(bootstrap_servers=pulse_settings.bootstrap_servers())
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    await ensure_topics(pulse_settings, [topic])
    await produce(producer, topic, [event(f"acct-{i}", f"new-{i}") for i in range(60)])

    second = start_consumer()

    assert sum((await wait_for_total(counting_db, 90)).values()) == 90
    assert stop(second) == 0
    log = (tmp_path / "consumer-1.log").read_text()
    assert log.count("the topic was created again") == 3  # one line per partition
    async with counting_db.connect() as connection:
        stored_ids = set(
            await connection.scalars(text("SELECT DISTINCT topic_id FROM consumer_offsets"))
        )
    assert stored_ids == set((await topic_ids(pulse_settings, [topic])).values())
