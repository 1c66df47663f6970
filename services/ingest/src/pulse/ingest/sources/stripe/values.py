"""Stripe's JSON, one value at a time: whole numbers, unix times, trimmed strings, objects.

Each reader takes a value of a Stripe event and either returns it in the type Pulse works with
or raises `PayloadError` naming where in the event it stood and what was there instead. The
modules of the Stripe adapter (`adapter`, `event`, `prices`, `accounts`) share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from pulse.common.events.messages import describe, json_type
from pulse.ingest.sources.base import PayloadError

_MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z


def unix_time(value: object, path: str) -> int:
    if not is_int(value) or not 0 <= value <= _MAX_UNIX:
        raise PayloadError(path, f"expected a unix time in seconds, got {describe(value)}")
    return value


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def text(value: object) -> str | None:
    """A trimmed, non-empty string (Stripe's ids, codes and metadata values are strings)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def required_text(body: Mapping[str, Any], field: str, path: str) -> str:
    value = text(body.get(field))
    if value is None:
        got = describe(body[field]) if field in body else "nothing"
        raise PayloadError(
            f"{path}.{field}" if path else field, f"expected a non-empty string, got {got}"
        )
    return value


def json_object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(path, f"expected an object, got {json_type(value)}")
    return value
