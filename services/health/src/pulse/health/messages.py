"""What health consumes: events from the domain topics and commands from its own API.

Its own commands topic is as open as any other (whoever can produce to the broker can
write to it), so a command is validated like the API's input: the same account-id rules
as events, a bounded id, a note within the API's limit, and a time no further past the
clock than an event's `occurred_at` may be. A message that fails goes to the dead-letter
topic with one of `DeadLetterReason` and every problem's path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from pulse.common.events import Event, EventValidationError, event_from_json
from pulse.common.events.errors import errors_from_pydantic
from pulse.common.events.fields import AccountId, EventId, OccurredAt, Timestamp
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage
from pulse.health.scoring.bands import BANDS, Band

SENTIMENTS = BANDS
#: Longest CSM note, as the API takes it.
MAX_NOTE_LENGTH = 2_000
#: Why health dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event", "invalid_command"]


@dataclass(frozen=True, slots=True)
class SetCsmSentiment:
    """A CSM set an account's sentiment over the API."""

    id: str
    account_id: str
    value: str
    note: str | None
    at: datetime

    def to_json(self) -> bytes:
        """The command as it travels on the commands topic."""
        return orjson.dumps(
            {
                "kind": "csm_sentiment",
                "id": self.id,
                "account_id": self.account_id,
                "value": self.value,
                "note": self.note,
                "at": self.at,
            },
            option=orjson.OPT_UTC_Z,
        )


Incoming = Event | SetCsmSentiment


def _not_empty(text: str) -> str:
    if not text:
        raise ValueError("expected 1 to 128 characters, got 0")
    return text


class _CommandBody(BaseModel):
    """The JSON of a `csm_sentiment` command; the subclasses say how `at` is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["csm_sentiment"]
    id: Annotated[EventId, AfterValidator(_not_empty)]
    account_id: AccountId
    value: Band
    note: Annotated[str | None, Field(max_length=MAX_NOTE_LENGTH)] = None
    at: datetime


class ConsumedCommand(_CommandBody):
    """A command off the topic: `at` within the bounds of an event's `occurred_at`."""

    at: OccurredAt


class StoredCommand(_CommandBody):
    """A command kept in an account's changes: it passed `ConsumedCommand` when consumed,
    so replaying it later (the clock having moved on) checks only its shape."""

    at: Timestamp


def undecodable(reason: DeadLetterReason, message: str) -> UndecodableMessage:
    """A message for the dead-letter topic, its reason one of the closed set."""
    return UndecodableMessage(reason, message)


def decoder(commands_topic: str) -> Callable[[ConsumedMessage], Incoming]:
    """A decoder for health's topics: events, or commands on `commands_topic`."""

    def decode(message: ConsumedMessage) -> Incoming:
        if message.value is None:
            raise undecodable("empty", "the message has no value")
        if message.topic == commands_topic:
            return command_from_json(message.value)
        try:
            return event_from_json(message.value)
        except EventValidationError as error:
            raise undecodable("invalid_event", str(error)) from error

    return decode


def command_from_json(raw: bytes, *, now: datetime | None = None) -> SetCsmSentiment:
    """A command as consumed (`SetCsmSentiment.to_json`), its `at` checked against `now`
    (default: the clock) as an event's `occurred_at` is; `UndecodableMessage` if invalid."""
    return _command(ConsumedCommand, raw, now)


def stored_command_from_json(raw: bytes) -> SetCsmSentiment:
    """A command kept in a change (see `StoredCommand`); `UndecodableMessage` if invalid."""
    return _command(StoredCommand, raw, None)


def _command(shape: type[_CommandBody], raw: bytes, now: datetime | None) -> SetCsmSentiment:
    try:
        body = shape.model_validate_json(raw, context=None if now is None else {"now": now})
    except ValidationError as error:
        problems = errors_from_pydantic(error)
        text = "; ".join(f"{p.path or '(command)'}: {p.message}" for p in problems)
        raise undecodable("invalid_command", text) from error
    return SetCsmSentiment(body.id, body.account_id, body.value, body.note, body.at)
