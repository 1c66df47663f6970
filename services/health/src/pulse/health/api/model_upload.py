"""A scoring model sent over HTTP: its body read within a byte limit, then parsed off the
event loop.

The body is read as it streams and refused (413) at the first chunk past the limit, before
anything is parsed: a 20 MiB body once held the event loop for 5.6 s while YAML parsed
it. Parsing runs in a worker thread so reads go on meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

from pulse.common.errors import PulseError
from pulse.health.scoring.model import ModelError, ScoringModel, load_model

#: Largest scoring model body, by default (the shipped model is about 20 KiB).
DEFAULT_MAX_MODEL_BYTES = 1024 * 1024


class ModelTooLargeError(PulseError):
    """The model's body is over the limit (413)."""

    status_code = 413
    code = "too_large"


class BadModelBodyError(PulseError):
    """The model's body is not UTF-8 text (400)."""

    status_code = 400
    code = "malformed_body"


class InvalidModelError(PulseError):
    """The scoring model does not validate (422), with a path per problem."""

    status_code = 422
    code = "invalid_scoring_model"


async def read_model_text(
    chunks: AsyncIterable[bytes], *, content_length: str | None, limit: int
) -> str:
    """The body as text; 413 as soon as it is known to pass `limit` bytes."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise _too_large(f"{int(content_length)} bytes", limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(f"over {limit} bytes", limit)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadModelBodyError(
            f"the body is not UTF-8 text: byte {error.start} is {body[error.start]:#04x}"
        ) from error


async def parse_model(text: str) -> ScoringModel:
    """`load_model` in a worker thread; 422 listing each problem's path."""
    try:
        return await asyncio.to_thread(load_model, text)
    except ModelError as error:
        details = [{"path": path, "message": message} for path, message in error.errors]
        raise InvalidModelError(f"scoring model invalid: {error}", details=details) from error


def _too_large(size: str, limit: int) -> ModelTooLargeError:
    return ModelTooLargeError(
        f"the scoring model is {size}; the limit is {limit} bytes (PULSE_HEALTH_MAX_MODEL_BYTES)",
        details={"limit_bytes": limit},
    )
