"""What renewals consumes: `account.updated` and `contract.changed` from the account domain
topic, and health's score changes from `pulse.health.scores`. A message that cannot be
decoded goes to the dead-letter topic with one of `DeadLetterReason` and each problem's
path; `unknown_currency` is decided later, by the keeper, which knows the account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulse.common.events import Event, EventValidationError, event_from_json
from pulse.common.events.errors import errors_from_pydantic
from pulse.common.events.fields import AccountId
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage
from pulse.renewals.forecast.config import Band

#: Why renewals dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event", "invalid_score", "unknown_currency"]


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """An account's new health score, as health published it."""

    message_id: str
    account_id: str
    score: float
    band: Band
    computed_at: datetime


Incoming = Event | ScoreChange


class _ScoreMessage(BaseModel):
    """The fields of a `pulse.health.scores` message renewals reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    account_id: AccountId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    band: Literal["green", "yellow", "red"]
    computed_at: datetime


def decoder(scores_topic: str) -> Callable[[ConsumedMessage], Incoming]:
    """A decoder for renewals' topics: events, or score changes on `scores_topic`."""

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
    return ScoreChange(body.id, body.account_id, body.score, Band(body.band), body.computed_at)
