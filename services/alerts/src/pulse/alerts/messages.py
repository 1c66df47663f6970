"""What alerts consumes: events from the domain topics, and health's score changes from
`pulse.health.scores`. A message that fails goes to the dead-letter topic with one of
`DeadLetterReason` and every problem's path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulse.alerts.rules.score_points import Band, ScorePoint
from pulse.common.events import AccountSegment, Event, EventValidationError, event_from_json
from pulse.common.events.errors import errors_from_pydantic
from pulse.common.events.fields import AccountId
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage

#: Why alerts dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event", "invalid_score"]


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """An account's new health score, as health published it."""

    account_id: str
    point: ScorePoint
    previous_score: float | None
    previous_band: str | None
    segment: str | None


Incoming = Event | ScoreChange


class _ScoreMessage(BaseModel):
    """The fields of a `pulse.health.scores` message alerts reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    account_id: AccountId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    band: Band
    previous_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    previous_band: Band | None = None
    segment: AccountSegment | None = None
    computed_at: datetime


def decoder(scores_topic: str) -> Callable[[ConsumedMessage], Incoming]:
    """A decoder for alerts' topics: events, or score changes on `scores_topic`."""

    def decode(message: ConsumedMessage) -> Incoming:
        if message.value is None:
            raise UndecodableMessage("empty", "the message has no value")
        if message.topic == scores_topic:
            return score_change_from_json(message.value)
        try:
            return event_from_json(message.value)
        except EventValidationError as error:
            raise UndecodableMessage("invalid_event", str(error)) from error

    return decode


def score_change_from_json(raw: bytes) -> ScoreChange:
    """A score message as health publishes it, or `UndecodableMessage`."""
    try:
        body = _ScoreMessage.model_validate_json(raw)
    except ValidationError as error:
        problems = errors_from_pydantic(error)
        text = "; ".join(f"{p.path or '(message)'}: {p.message}" for p in problems)
        raise UndecodableMessage("invalid_score", text) from error
    if body.computed_at.tzinfo is None:
        raise UndecodableMessage("invalid_score", "computed_at: expected a time zone")
    point = ScorePoint(body.id, body.computed_at, body.score, body.band)
    return ScoreChange(
        body.account_id, point, body.previous_score, body.previous_band, body.segment
    )
