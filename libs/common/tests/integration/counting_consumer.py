"""A minimal stateful consumer for the runner's tests: counts events per account.

Run as a script (a separate process, so tests can kill -9 it):
    python counting_consumer.py GROUP TOPIC [--die-after-write-in-batch N]
                                            [--fail-first-assignments N]
Settings come from PULSE_* variables. With --die-after-write-in-batch, the process
kills itself with SIGKILL after writing batch N's state, before the transaction commits.
With --fail-first-assignments, loading state for the first N assignments raises.
Each batch also logs its size and the records the runner says wait after it
(`batch_log`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Callable, Sequence, Set

import orjson
from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.dedupe import claim_new_event_ids
from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.kafka.consumer import ConsumerRunner
from pulse.common.kafka.producer import PulseProducer
from pulse.common.kafka.records import ConsumedMessage, Record, UndecodableMessage
from pulse.common.logging import configure_logging
from pulse.common.settings import Settings
from pulse.common.topics import Topics

SCHEMA = "counting"
CREATE_COUNTS = "CREATE TABLE IF NOT EXISTS event_counts (account_id text PRIMARY KEY, n int)"


def decode(message: ConsumedMessage) -> dict[str, str]:
    """JSON objects with string `id` and `account_id`; anything else is undecodable."""
    try:
        value = orjson.loads(message.value or b"")
    except orjson.JSONDecodeError as exc:
        raise UndecodableMessage("invalid_json", str(exc)) from exc
    if not isinstance(value, dict) or not isinstance(value.get("account_id"), str):
        raise UndecodableMessage("invalid_event", "expected an object with account_id")
    return value


class CountingHandler:
    """Adds 1 per new event id to `event_counts`; raises on events marked `poison`."""

    def __init__(self, die_in_batch: int | None, failing_assignments: int = 0) -> None:
        self.batches = 0
        self.waiting: Callable[[], int] = lambda: 0
        self._die_in_batch = die_in_batch
        self._failing_assignments = failing_assignments

    async def handle(
        self, session: AsyncSession, records: Sequence[Record[dict[str, str]]]
    ) -> None:
        if any(r.value.get("poison") for r in records):
            raise ValueError("poison event")
        new = await claim_new_event_ids(
            session, [(r.value["account_id"], r.value["id"]) for r in records]
        )
        counts: dict[str, int] = {}
        for account_id, _ in new:
            counts[account_id] = counts.get(account_id, 0) + 1
        for account_id, n in counts.items():
            await session.execute(
                text(
                    "INSERT INTO event_counts VALUES (:a, :n) "
                    "ON CONFLICT (account_id) DO UPDATE SET n = event_counts.n + :n"
                ),
                {"a": account_id, "n": n},
            )
        await session.execute(
            text("INSERT INTO batch_log (size, waiting) VALUES (:s, :w)"),
            {"s": len(records), "w": self.waiting()},
        )
        self.batches += 1
        if self._die_in_batch is not None and self.batches >= self._die_in_batch:
            await session.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    async def on_assigned(self, session: AsyncSession, partitions: Set[TopicPartition]) -> None:
        if self._failing_assignments > 0:
            self._failing_assignments -= 1
            raise ValueError("loading state failed")

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("group")
    parser.add_argument("topic")
    parser.add_argument("--die-after-write-in-batch", type=int, default=None)
    parser.add_argument("--fail-first-assignments", type=int, default=0)
    args = parser.parse_args()
    settings = Settings()
    configure_logging("counting", "INFO")
    engine = create_engine(settings, schema=SCHEMA)
    producer = PulseProducer(settings, client_id="counting")
    await producer.start()
    handler = CountingHandler(args.die_after_write_in_batch, args.fail_first_assignments)
    runner = ConsumerRunner(
        settings=settings,
        group_id=args.group,
        topics=[args.topic],
        decoder=decode,
        handler=handler,
        session_factory=create_session_factory(engine),
        producer=producer,
        dlq_topic=Topics(settings.topic_prefix).dlq,
    )
    handler.waiting = lambda: runner.waiting
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, runner.stop)
    try:
        await runner.run()
    finally:
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
