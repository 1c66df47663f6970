"""Producing accepted events to their domain topics, keyed by account, all acked or 503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pulse.common.errors import UnavailableError
from pulse.common.events import Event, event_to_json
from pulse.common.kafka.producer import OutgoingMessage, ProduceError, PulseProducer
from pulse.common.topics import Topics
from pulse.ingest.metrics import EVENTS_ACCEPTED, PRODUCE_LATENCY, UNAVAILABLE


class EventPublisher:
    """Sends a request's events and returns only once Kafka acknowledged every one."""

    def __init__(
        self, producer: PulseProducer, topics: Topics, *, timeout_s: float, retry_after_s: int
    ) -> None:
        self._producer = producer
        self._topics = topics
        self._timeout_s = timeout_s
        self._retry_after = str(retry_after_s)

    def messages(self, events: Sequence[Event]) -> list[OutgoingMessage]:
        """One message per event: its domain topic, key = account_id, value = its JSON."""
        return [
            OutgoingMessage(
                self._topics.for_event_type(event.type),
                event.account_id.encode(),
                event_to_json(event),
            )
            for event in events
        ]

    async def publish(self, events: Sequence[Event]) -> None:
        """Produce all events; `UnavailableError` (503 with Retry-After) if Kafka did not ack."""
        if not events:
            return
        messages = self.messages(events)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._producer.send_and_wait_all(messages)
        except (ProduceError, TimeoutError) as error:
            UNAVAILABLE.inc()
            reason = str(error) or f"no acknowledgement within {self._timeout_s:g}s"
            raise UnavailableError(
                f"Kafka did not take the events ({reason}); retry the whole request, "
                "the event ids make that safe",
                headers={"Retry-After": self._retry_after},
            ) from error
        PRODUCE_LATENCY.observe(time.perf_counter() - started)
        for event in events:
            EVENTS_ACCEPTED.labels(event.type).inc()
