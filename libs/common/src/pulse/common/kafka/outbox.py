"""The transactional outbox: messages written with state, published after commit.

A service adds messages in the same transaction as the state they describe; the relay
publishes committed rows in order and deletes them once Kafka acknowledged them. A crash
between publish and delete republishes: messages carry stable ids, consumers dedupe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.bulk import bulk_insert, json_text
from pulse.common.db.tables import outbox
from pulse.common.kafka.producer import OutgoingMessage, ProduceError, PulseProducer

log = logging.getLogger(__name__)

RELAY_BATCH = 1000


async def add_to_outbox(
    session: AsyncSession, messages: Sequence[tuple[str, OutgoingMessage]]
) -> None:
    """Queue `(message_id, message)` pairs in the caller's transaction; an id is kept once."""
    if not messages:
        return
    await session.execute(
        _ADD_TO_OUTBOX,
        {
            "message_id": [message_id for message_id, _ in messages],
            "topic": [m.topic for _, m in messages],
            "key": [m.key for _, m in messages],
            "value": [m.value for _, m in messages],
            "headers": [json_text([[k, v.decode()] for k, v in m.headers]) for _, m in messages],
        },
    )


# In array order, so the relay (oldest `seq` first) publishes in the order added.
_ADD_TO_OUTBOX = bulk_insert(
    outbox.name,
    {"message_id": "text", "topic": "text", "key": "bytea", "value": "bytea", "headers": "jsonb"},
    conflict=["message_id"],
    ordered=True,
)


class OutboxRelay:
    """Publishes committed outbox rows, oldest first, until stopped."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: PulseProducer,
        *,
        idle_interval_s: float = 0.1,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._idle_interval_s = idle_interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish now: a transaction just committed outbox rows."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; how many were published."""
        o = outbox
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    select(
                        outbox.c.seq, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers
                    )
                    .order_by(o.c.seq)
                    .limit(RELAY_BATCH)
                    .with_for_update(skip_locked=True)  # several relays share the table
                )
            ).all()
            if not rows:
                return 0
            await self._producer.send_and_wait_all(
                [
                    OutgoingMessage(topic, key, value, [(k, v.encode()) for k, v in headers])
                    for _, topic, key, value, headers in rows
                ]
            )
            await session.execute(delete(outbox).where(outbox.c.seq.in_([r[0] for r in rows])))
            return len(rows)

    async def run(self) -> None:
        """Relay until cancelled; Kafka or Postgres failures are retried after a pause."""
        while True:
            try:
                published = await self.publish_pending()
            except (ProduceError, OSError, Exception) as error:
                log.warning("outbox relay could not publish: %s", error)
                published = 0
                await asyncio.sleep(1.0)
            if published == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._idle_interval_s)
                except TimeoutError:
                    pass
