"""Health's score changes as they travel on `pulse.health.scores` (design §1): what the
consumers of scores (alerts, renewals) read from each message, validated like any input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulse.common.events import AccountSegment, Event, EventValidationError, event_from_json
from pulse.common.events.errors import errors_from_pydantic
from pulse.common.events.fields import AccountId
from pulse.common.kafka.records import ConsumedMessage, UndecodableMessage

ScoreBand = Literal["green", "yellow", "red"]


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """An account's new health score, as health published it."""

    message_id: str
    account_id: str
    score: float
    band: ScoreBand
    previous_score: float | None
    previous_band: ScoreBand | None
    segment: str | None
    computed_at: datetime


class _ScoreMessage(BaseModel):
    """The fields of a `pulse.health.scores` message its consumers read (others ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    account_id: AccountId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    band: ScoreBand
    previous_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    previous_band: ScoreBand | None = None
    segment: AccountSegment | None = None
    computed_at: datetime


def score_change_from_json(raw: bytes) -> ScoreChange:
    """A score message as health publishes it, or `UndecodableMessage` (`invalid_score`)
    naming each problem's path."""
    try:
        body = _ScoreMessage.model_validate_json(raw)
    except ValidationError as error:
        problems = errors_from_pydantic(error)
        text = "; ".join(f"{p.path or '(message)'}: {p.message}" for p in problems)
        raise UndecodableMessage("invalid_score", text) from error
    if body.computed_at.tzinfo is None:
        raise UndecodableMessage("invalid_score", "computed_at: expected a time zone")
    segment = body.segment.value if body.segment is not None else None
    return ScoreChange(
        body.id,
        body.account_id,
        body.score,
        body.band,
        body.previous_score,
        body.previous_band,
        segment,
        body.computed_at,
    )


def events_and_scores(scores_topic: str) -> Callable[[ConsumedMessage], Event | ScoreChange]:
    """A decoder for a consumer of domain events and of score changes on `scores_topic`:
    an empty message is `empty`, an invalid event `invalid_event`, a bad score message
    `invalid_score`."""

    def decode(message: ConsumedMessage) -> Event | ScoreChange:
        if message.value is None:
            raise UndecodableMessage("empty", "the message has no value")
        if message.topic == scores_topic:
            return score_change_from_json(message.value)
        try:
            return event_from_json(message.value)
        except EventValidationError as error:
            raise UndecodableMessage("invalid_event", str(error)) from error

    return decode


def time_of(item: Event | ScoreChange) -> datetime:
    """When what a message says happened: an event's `occurred_at`, a score's
    `computed_at` (the consumer runner's freshness gauge)."""
    return item.computed_at if isinstance(item, ScoreChange) else item.occurred_at
