"""Producing accepted events to their domain topics, keyed by account, all acked or 503."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from pulse.common.errors import UnavailableError
from pulse.common.events import Event, event_to_json
from pulse.common.kafka.producer import OutgoingMessage, ProduceError, PulseProducer
from pulse.common.topics import Topics
from pulse.ingest.batch import BatchOutcome
from pulse.ingest.broker_health import BrokerHealth
from pulse.ingest.metrics import EVENTS_ACCEPTED, EVENTS_REJECTED, PRODUCE_LATENCY, UNAVAILABLE
from pulse.ingest.references import KnownAccounts

#: Events handed to the producer at once: an outage fanned out to 100,000 accounts goes
#: in chunks, so neither the messages nor the producer's buffers hold it all.
PUBLISH_CHUNK = 5_000


class EventPublisher:
    """Sends a request's events and returns only once Kafka acknowledged every one."""

    def __init__(
        self,
        producer: PulseProducer,
        topics: Topics,
        health: BrokerHealth,
        *,
        timeout_s: float,
        retry_after_s: int,
    ) -> None:
        self._producer = producer
        self._topics = topics
        self._health = health
        self._timeout_s = timeout_s
        self._retry_after = str(retry_after_s)

    def messages(self, events: Iterable[Event]) -> list[OutgoingMessage]:
        """One message per event: its domain topic, key = account_id, value = its JSON."""
        return [
            OutgoingMessage(
                self._topics.for_event_type(event.type),
                event.account_id.encode(),
                event_to_json(event),
            )
            for event in events
        ]

    async def publish(self, events: Iterable[Event]) -> None:
        """Produce all events, `PUBLISH_CHUNK` at a time; `UnavailableError` (503 with
        Retry-After) when the broker is known to be unreachable or did not ack in time."""
        for chunk in _chunks(events, PUBLISH_CHUNK):
            await self._publish_chunk(chunk)

    async def _publish_chunk(self, events: Sequence[Event]) -> None:
        problem = self._health.problem
        if problem is not None:
            # Known unreachable: answer now rather than queue into a producer that waits.
            UNAVAILABLE.inc()
            raise UnavailableError(
                f"Kafka is unreachable ({problem}); this request's events were not all "
                "sent; retry the same request later: the event ids make that safe",
                headers={"Retry-After": self._retry_after},
            )
        messages = self.messages(events)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._producer.send_and_wait_all(messages)
        except (ProduceError, TimeoutError) as error:
            UNAVAILABLE.inc()
            reason = str(error) or f"no acknowledgement within {self._timeout_s:g}s"
            self._health.unreachable(reason)
            raise UnavailableError(
                f"Kafka did not acknowledge the events ({reason}); some may have been "
                "written and will be applied; retry the same request: the event ids make that safe",
                headers={"Retry-After": self._retry_after},
            ) from error
        PRODUCE_LATENCY.observe(time.perf_counter() - started)
        for event_type, count in Counter(event.type for event in events).items():
            EVENTS_ACCEPTED.labels(event_type).inc(count)


async def publish_outcome(
    outcome: BatchOutcome, publisher: EventPublisher, known_accounts: KnownAccounts
) -> None:
    """What every ingesting route does with its validated request: count the rejections,
    produce the accepted events, remember their accounts."""
    for rejection in outcome.rejected:
        EVENTS_REJECTED.labels(rejection.event_type, rejection.reason).inc()
    await publisher.publish(outcome.events())
    known_accounts.note(outcome.tally.accounts)


def _chunks(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    iterator = iter(events)
    while chunk := list(islice(iterator, size)):
        yield chunk
