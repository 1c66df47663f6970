"""The route that sets a CSM's sentiment: a command on health's commands topic, applied by
the account's owner process like an event."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pulse.common.auth import WriteKey
from pulse.common.clock import utc_now
from pulse.common.errors import UnavailableError
from pulse.common.kafka.producer import OutgoingMessage, ProduceError
from pulse.common.service import Context
from pulse.health.api.params import AccountId
from pulse.health.messages import MAX_NOTE_LENGTH, SetCsmSentiment
from pulse.health.scoring.bands import Band

router = APIRouter()


class ScoringClock(Protocol):
    """What this route needs of the running service, at `app.state.health`."""

    def now(self) -> datetime:
        """What time it is for scores (simulated in a demo)."""
        ...


class SentimentBody(BaseModel):
    """A CSM's judgement of the account."""

    value: Band
    note: str | None = Field(None, max_length=MAX_NOTE_LENGTH)


@router.put(
    "/accounts/{account_id}/csm-sentiment",
    status_code=202,
    summary="Set the CSM's sentiment (write or admin)",
)
async def put_sentiment(
    body: SentimentBody,
    request: Request,
    _: WriteKey,
    *,
    account_id: AccountId,
    context: Context,
) -> dict[str, Any]:
    """Queued for the account's owner process; the score reflects it within seconds."""
    # The scores' clock: under a simulated one the sentiment lands in simulated time.
    service: ScoringClock = request.app.state.health
    at = service.now()
    # The id from the wall time: a simulated clock may stand still, and two commands
    # there must still differ.
    sent = utc_now().isoformat()
    digest = hashlib.sha256(f"{account_id}\x00{sent}".encode()).hexdigest()[:32]
    command = SetCsmSentiment(f"cmd_{digest}", account_id, body.value, body.note, at)
    message = OutgoingMessage(
        context.topics.health_commands, account_id.encode(), command.to_json()
    )
    try:
        await context.producer.send_and_wait_all([message])
    except ProduceError as error:
        raise UnavailableError(
            f"Kafka did not take the change ({error}); retry", headers={"Retry-After": "2"}
        ) from error
    return {"account_id": account_id, "csm_sentiment": body.value, "id": command.id}
