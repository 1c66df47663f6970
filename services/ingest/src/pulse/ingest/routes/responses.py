"""Response models of ingest's routes (for OpenAPI; handlers answer with plain JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pulse.common.http import JSONResponse
from pulse.ingest.batch import BatchOutcome


class ItemError(BaseModel):
    """One problem of one item."""

    path: str = Field(description="Field path inside the item, e.g. `data.priority`.")
    message: str


class RejectedItem(BaseModel):
    """An item that was not accepted; the valid rest of the request was."""

    index: int = Field(description="Position of the item in the request (0-based).")
    id: str | None = Field(description="The item's id, when it had one.")
    errors: list[ItemError]


class IngestAnswer(BaseModel):
    """Every accepted event is on its Kafka topic, acknowledged, when this is sent."""

    accepted: int = Field(description="Events produced to Kafka.")
    ids: list[str] = Field(description="Their ids, in order (an outage fans out to several).")
    rejected: list[RejectedItem]


class IgnoredItem(BaseModel):
    """A vendor event Pulse does not turn into an event."""

    path: str
    reason: str


class SourceAnswer(IngestAnswer):
    """A vendor webhook's outcome; unmapped vendor objects are among `rejected`."""

    ignored: list[IgnoredItem]


def answer(outcome: BatchOutcome, extra: dict[str, Any] | None = None) -> JSONResponse:
    """The 202 answer of DESIGN §4."""
    body: dict[str, Any] = {
        "accepted": len(outcome.events),
        "ids": outcome.ids,
        "rejected": [r.as_dict() for r in outcome.rejected],
    }
    return JSONResponse({**body, **(extra or {})}, status_code=202)
