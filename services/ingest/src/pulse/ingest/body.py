"""Reading request bodies within limits: size, gzip, content type, JSON and NDJSON.

Every failure is a `PulseError` with the status design §4 names (400, 413, 415) and a
message that says where the problem is.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from pulse.common.errors import PulseError
from pulse.ingest.metrics import REQUEST_BYTES

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
_DECOMPRESS_CHUNK = 64 * 1024


class BadBodyError(PulseError):
    """The body cannot be read as JSON (400)."""

    status_code = 400
    code = "malformed_body"


class BodyTooLargeError(PulseError):
    """The body or the batch is over the limits (413)."""

    status_code = 413
    code = "too_large"


class UnsupportedMediaError(PulseError):
    """The content type or encoding is not one ingest reads (415)."""

    status_code = 415
    code = "unsupported_media_type"


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """An NDJSON line that is not JSON: reported as one rejected item, the rest goes on."""

    line: int
    message: str


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`; absent means JSON."""
    if not content_type:
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


def check_media_type(content_type: str | None, *, ndjson: bool = True) -> bool:
    """True for NDJSON, False for JSON; 415 for anything else."""
    kind = media_type(content_type)
    if kind in JSON_TYPES or kind.endswith("+json"):
        return False
    if ndjson and kind in NDJSON_TYPES:
        return True
    accepted = "application/json" + (" or application/x-ndjson" if ndjson else "")
    raise UnsupportedMediaError(f"content type {kind!r} is not supported; send {accepted}")


async def read_body(request: Request, limit: int) -> bytes:
    """A request's body as `read_limited` reads it, its size counted in the request-size
    histogram (after gunzipping, as the limit is)."""
    raw = await read_limited(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limit=limit,
    )
    REQUEST_BYTES.observe(len(raw))
    return raw


async def read_limited(
    chunks: AsyncIterable[bytes],
    *,
    content_length: str | None,
    content_encoding: str | None,
    limit: int,
) -> bytes:
    """The body, gunzipped when `Content-Encoding: gzip`; 413 as soon as it passes `limit`."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in {"identity", "gzip", "x-gzip"}:
        raise UnsupportedMediaError(
            f"content encoding {encoding!r} is not supported; send gzip or no encoding"
        )
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise _too_large(int(content_length), limit)
    raw = bytearray()
    async for chunk in chunks:
        raw += chunk
        if len(raw) > limit:
            raise _too_large(len(raw), limit, at_least=True)
    if encoding == "identity":
        return bytes(raw)
    return gunzip(bytes(raw), limit)


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress gzip without ever holding more than `limit` bytes of output."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = data
    try:
        while pending:
            out += inflater.decompress(pending, _DECOMPRESS_CHUNK)
            if len(out) > limit:
                raise _too_large(len(out), limit, at_least=True, unpacked=True)
            pending = inflater.unconsumed_tail
        out += inflater.flush()
    except zlib.error as error:
        raise BadBodyError(f"the body is not valid gzip: {error}") from error
    if not inflater.eof:
        raise BadBodyError("the gzip body is truncated")
    if len(out) > limit:
        raise _too_large(len(out), limit, unpacked=True)
    return bytes(out)


def _too_large(
    size: int, limit: int, *, at_least: bool = False, unpacked: bool = False
) -> PulseError:
    what = "decompressed body" if unpacked else "body"
    amount = f"over {limit}" if at_least else str(size)
    return BodyTooLargeError(
        f"the {what} is {amount} bytes; the limit is {limit} bytes (split the batch)",
        details={"limit_bytes": limit},
    )


def parse_json(raw: bytes) -> Any:
    """One JSON document; 400 naming the line, column and byte of the first error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadBodyError(
            f"malformed JSON at line {error.lineno} column {error.colno} "
            f"(byte {error.pos}): {error.msg}",
            details=[{"line": error.lineno, "column": error.colno, "position": error.pos}],
        ) from error


def parse_ndjson(raw: bytes) -> list[Any]:
    """One item per non-blank line; a line that is not JSON becomes a `MalformedLine`."""
    items: list[Any] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            items.append(
                MalformedLine(
                    number, f"malformed JSON on line {number} column {error.colno}: {error.msg}"
                )
            )
    return items


def event_items(document: Any) -> list[Any]:
    """The events of a JSON body: one envelope, `{"events": [...]}`, or a bare array."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "events" in document and "type" not in document:
        unknown = sorted(set(document) - {"events"})
        if unknown:
            raise BadBodyError(
                f'unknown top-level field {unknown[0]!r}; a batch is {{"events": [...]}}'
            )
        events = document["events"]
        if not isinstance(events, list):
            raise BadBodyError('"events" must be an array of events')
        return events
    if isinstance(document, dict):
        return [document]
    raise BadBodyError(
        'expected an event object, {"events": [...]} or an array, '
        f"got a JSON {type(document).__name__}"
    )


def check_batch_size(count: int, limit: int) -> None:
    """413 when a request carries more than `limit` events."""
    if count > limit:
        raise BodyTooLargeError(
            f"{count} events in one request; the limit is {limit} (split the batch)",
            details={"limit_events": limit},
        )
    if count == 0:
        raise BadBodyError("the request carries no events")
