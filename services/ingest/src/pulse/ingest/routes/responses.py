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


class FannedOut(BaseModel):
    """An outage produced once per affected account."""

    id: str = Field(
        description="The outage's id; each account's copy has the id `evt_` + the first 32 "
        "hex digits of SHA-256(outage id, NUL, account id)."
    )
    accounts: int = Field(description="Accounts it reached (copies produced).")


class IngestAnswer(BaseModel):
    """Every accepted event is on its Kafka topic, acknowledged, when this is sent."""

    accepted: int = Field(description="Events produced to Kafka, fanned-out copies included.")
    ids: list[str] = Field(
        description="The id of each event as sent, in order; an outage naming accounts "
        "appears once, by its own id (its copies are counted in `fanned_out`)."
    )
    fanned_out: list[FannedOut]
    rejected: list[RejectedItem]


class IgnoredItem(BaseModel):
    """A vendor event Pulse does not turn into an event."""

    path: str
    reason: str


class SourceAnswer(IngestAnswer):
    """A vendor webhook's outcome; unmapped vendor objects are among `rejected`."""

    ignored: list[IgnoredItem]


def answer(outcome: BatchOutcome, extra: dict[str, Any] | None = None) -> JSONResponse:
    """The 202 answer of design §4 (plus `fanned_out`), once `outcome.events()` was produced."""
    tally = outcome.tally
    body: dict[str, Any] = {
        "accepted": tally.produced,
        "ids": tally.ids,
        "fanned_out": [{"id": i, "accounts": n} for i, n in tally.fanned_out.items()],
        "rejected": [r.as_dict() for r in outcome.rejected],
    }
    return JSONResponse({**body, **(extra or {})}, status_code=202)
