"""Reading bodies: limits, gzip, content types, JSON positions, NDJSON lines."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import orjson
import pytest
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.types import Message

from pulse.ingest.body import (
    BadBodyError,
    BodyTooLargeError,
    MalformedLine,
    UnsupportedMediaError,
    check_batch_size,
    check_media_type,
    event_items,
    parse_json,
    parse_ndjson,
    read_body,
    read_limited,
)


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(data: bytes, encoding: str | None = None, limit: int = 10_000) -> bytes:
    return await read_limited(
        _chunks(data), content_length=None, content_encoding=encoding, limit=limit
    )


async def test_plain_and_gzip_bodies_read_the_same() -> None:
    body = orjson.dumps({"events": [{"a": i} for i in range(50)]})
    assert await _read(body) == body
    assert await _read(gzip.compress(body), "gzip") == body


async def test_body_over_limit_is_413_before_reading_all() -> None:
    with pytest.raises(BodyTooLargeError, match="limit is 10000 bytes"):
        await _read(b"x" * 20_000)


async def test_declared_length_over_limit_is_413_at_once() -> None:
    class Unread:
        def __aiter__(self) -> AsyncIterator[bytes]:
            raise AssertionError("must not read")

    with pytest.raises(BodyTooLargeError):
        await read_limited(Unread(), content_length="99999", content_encoding=None, limit=100)


async def test_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(BodyTooLargeError, match="decompressed body"):
        await _read(bomb, "gzip")


async def test_corrupt_and_truncated_gzip_are_400() -> None:
    with pytest.raises(BadBodyError, match="not valid gzip"):
        await _read(b"not gzip at all", "gzip")
    with pytest.raises(BadBodyError, match="truncated"):
        await _read(gzip.compress(b'{"a": 1}' * 100)[:-12], "gzip")


async def test_unknown_encoding_is_415() -> None:
    with pytest.raises(UnsupportedMediaError, match="'br'"):
        await _read(b"{}", "br")


def _request(body: bytes, **headers: str) -> Request:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    encoded = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": encoded}, receive)


def _bytes_observed() -> float:
    return REGISTRY.get_sample_value("pulse_ingest_request_bytes_sum") or 0.0


async def test_a_request_body_is_read_by_its_headers_and_its_size_observed() -> None:
    body = orjson.dumps({"events": [{"a": i} for i in range(50)]})
    before = _bytes_observed()

    read = await read_body(_request(gzip.compress(body), content_encoding="gzip"), limit=10_000)

    assert read == body
    assert _bytes_observed() == before + len(body)  # unpacked, as the limit counts it
    with pytest.raises(BodyTooLargeError):
        await read_body(_request(b"{}", content_length="99999"), limit=100)


def test_media_types() -> None:
    assert check_media_type(None) is False
    assert check_media_type("application/json; charset=utf-8") is False
    assert check_media_type("application/vnd.api+json") is False
    assert check_media_type("application/x-ndjson") is True
    with pytest.raises(UnsupportedMediaError, match="'text/plain'"):
        check_media_type("text/plain")
    with pytest.raises(UnsupportedMediaError):
        check_media_type("application/x-ndjson", ndjson=False)


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(BadBodyError) as caught:
        parse_json(b'{"events": [\n  {"a": 1},\n  {"a": }\n]}')
    assert "line 3 column 9" in caught.value.message
    assert caught.value.details == [{"line": 3, "column": 9, "position": 33}]


def test_ndjson_keeps_good_lines_and_marks_bad_ones() -> None:
    items = parse_ndjson(b'{"a": 1}\n\nnot json\n{"a": 2}\n')
    assert items[0] == {"a": 1}
    assert isinstance(items[1], MalformedLine)
    assert items[1].line == 3
    assert "line 3" in items[1].message
    assert items[2] == {"a": 2}


def test_event_items_shapes() -> None:
    assert event_items({"type": "x"}) == [{"type": "x"}]
    assert event_items({"events": [1, 2]}) == [1, 2]
    assert event_items([1]) == [1]
    with pytest.raises(BadBodyError, match="'extra'"):
        event_items({"events": [], "extra": 1})
    with pytest.raises(BadBodyError, match="must be an array"):
        event_items({"events": {}})
    with pytest.raises(BadBodyError, match="got a JSON str"):
        event_items("text")


def test_batch_size_limits() -> None:
    check_batch_size(1000, 1000)
    with pytest.raises(BodyTooLargeError, match="1001 events"):
        check_batch_size(1001, 1000)
    with pytest.raises(BadBodyError, match="no events"):
        check_batch_size(0, 1000)
