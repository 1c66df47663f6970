"""`POST /v1/events`: our own envelope, one, a batch, or NDJSON."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from pulse.common.auth import IngestKey
from pulse.common.errors import PulseError
from pulse.common.http import JSONResponse
from pulse.ingest.batch import validate_batch
from pulse.ingest.body import (
    check_batch_size,
    check_media_type,
    event_items,
    parse_json,
    parse_ndjson,
    read_body,
)
from pulse.ingest.metrics import BATCH_EVENTS, RATE_LIMITED
from pulse.ingest.publisher import publish_outcome
from pulse.ingest.routes.responses import IngestAnswer, answer
from pulse.ingest.state import IngestStateDep

router = APIRouter(prefix="/v1", tags=["events"])


class RateLimitedError(PulseError):
    """The key sent more events than its rate allows (429)."""

    status_code = 429
    code = "rate_limited"


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON (the message gives line and column)."},
    401: {"description": "No valid API key."},
    403: {"description": "The key lacks the `ingest` scope."},
    413: {"description": "Over 5 MiB or over 1,000 events."},
    415: {"description": "Not JSON or NDJSON, or an encoding other than gzip."},
    429: {"description": "Over the key's rate limit; see Retry-After."},
    503: {"description": "Kafka did not take the events; retry the same request."},
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "description": "One event envelope (design §3)."},
                        {
                            "type": "object",
                            "properties": {"events": {"type": "array", "maxItems": 1000}},
                            "required": ["events"],
                        },
                    ]
                }
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/events",
    status_code=202,
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_BODY,
    summary="Send events",
)
async def post_events(request: Request, key: IngestKey, state: IngestStateDep) -> JSONResponse:
    """Validate and normalise each event, produce the valid ones to Kafka keyed by account,
    and answer once Kafka acknowledged them all. Invalid items are reported one by one."""
    ndjson = check_media_type(request.headers.get("content-type"))
    raw = await read_body(request, state.config.max_body_bytes)
    items = parse_ndjson(raw) if ndjson else event_items(parse_json(raw))
    check_batch_size(len(items), state.config.max_events)
    BATCH_EVENTS.observe(len(items))
    wait = state.limiter.take(key.name, len(items))
    if wait > 0:
        RATE_LIMITED.labels(key.name).inc()
        raise RateLimitedError(
            f"API key {key.name!r} is over its rate limit; retry later",
            headers={"Retry-After": str(max(1, math.ceil(min(wait, 3600))))},
        )
    outcome = validate_batch(items, now=datetime.now(UTC), floor=state.config.event_time_floor)
    await publish_outcome(outcome, state.publisher, state.known_accounts)
    return answer(outcome)
