"""What health consumes: events from the domain topics and commands from its own API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson

from pulse.common.events import Event, EventValidationError, event_from_json
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage

SENTIMENTS = ("green", "yellow", "red")


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


def decoder(commands_topic: str) -> Callable[[ConsumedMessage], Incoming]:
    """A decoder for health's topics: events, or commands on `commands_topic`."""

    def decode(message: ConsumedMessage) -> Incoming:
        if message.value is None:
            raise UndecodableMessage("empty", "the message has no value")
        if message.topic == commands_topic:
            return command_from_json(message.value)
        try:
            return event_from_json(message.value)
        except EventValidationError as error:
            raise UndecodableMessage("invalid_event", str(error)) from error

    return decode


def command_from_json(raw: bytes) -> SetCsmSentiment:
    """A command from its JSON (`SetCsmSentiment.to_json`); `UndecodableMessage` if not one."""
    try:
        body = orjson.loads(raw)
        if body.get("kind") != "csm_sentiment" or body.get("value") not in SENTIMENTS:
            raise ValueError(f"unknown command {body.get('kind')!r}")
        return SetCsmSentiment(
            id=str(body["id"]),
            account_id=str(body["account_id"]),
            value=str(body["value"]),
            note=body.get("note"),
            at=datetime.fromisoformat(str(body["at"])),
        )
    except (orjson.JSONDecodeError, KeyError, ValueError, AttributeError) as error:
        raise UndecodableMessage("invalid_command", str(error)) from error
