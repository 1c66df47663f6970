"""What alerts consumes: events from the domain topics. A message that is not a valid
event goes to the dead-letter topic with one of `DeadLetterReason` and every problem's
path."""

from __future__ import annotations

from typing import Literal

from pulse.common.events import Event, EventValidationError, event_from_json
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage

#: Why alerts dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event"]

Incoming = Event


def decode(message: ConsumedMessage) -> Incoming:
    """An event off a domain topic, or `UndecodableMessage`."""
    if message.value is None:
        raise UndecodableMessage("empty", "the message has no value")
    try:
        return event_from_json(message.value)
    except EventValidationError as error:
        raise UndecodableMessage("invalid_event", str(error)) from error
