"""The dead-letter topic: messages no consumer could use, with the reason in headers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.kafka.records import ConsumedMessage
from pulse.common.metrics import DEAD_LETTERS

log = logging.getLogger(__name__)

#: Header names a reader of `pulse.dlq` can filter on.
REASON = "pulse-dlq-reason"
ERROR = "pulse-dlq-error"
SOURCE_TOPIC = "pulse-dlq-topic"
SOURCE_PARTITION = "pulse-dlq-partition"
SOURCE_OFFSET = "pulse-dlq-offset"
CONSUMER_GROUP = "pulse-dlq-group"


def dead_letter(
    message: ConsumedMessage, *, dlq_topic: str, group_id: str, reason: str, error: str
) -> OutgoingMessage:
    """The DLQ copy of `message`: same key and bytes, plus where it came from and why."""
    headers = [
        *message.headers,
        (REASON, reason.encode()),
        (ERROR, error[:2000].encode("utf-8", "replace")),
        (SOURCE_TOPIC, message.topic.encode()),
        (SOURCE_PARTITION, str(message.partition).encode()),
        (SOURCE_OFFSET, str(message.offset).encode()),
        (CONSUMER_GROUP, group_id.encode()),
    ]
    return OutgoingMessage(
        topic=dlq_topic, key=message.key, value=message.value or b"", headers=headers
    )


@dataclass(frozen=True, slots=True)
class DeadLetterer:
    """Makes one consumer group's dead letters, counting and logging each."""

    group_id: str
    dlq_topic: str

    def __call__(self, message: ConsumedMessage, reason: str, error: str) -> OutgoingMessage:
        """The dead letter of `message`, rejected for `reason` with `error`."""
        DEAD_LETTERS.labels(self.group_id, message.topic, reason).inc()
        log.warning(
            "dead-lettering message",
            extra={
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "reason": reason,
                "error": error[:500],
            },
        )
        return dead_letter(
            message, dlq_topic=self.dlq_topic, group_id=self.group_id, reason=reason, error=error
        )


async def send_dead_letters(producer: PulseProducer, letters: Sequence[OutgoingMessage]) -> None:
    """Produce dead letters and wait for their acks before the offsets move past them."""
    if letters:
        await producer.send_and_wait_all(letters)
