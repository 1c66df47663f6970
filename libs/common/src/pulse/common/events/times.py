"""Event time: RFC 3339 timestamps converted to UTC, calendar dates, and the future limit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from pydantic import ValidationInfo

from pulse.common.events.messages import describe, fail

#: How far past "now" an `occurred_at` may lie before it is rejected (design §3).
MAX_FUTURE = timedelta(hours=24)
#: The earliest `occurred_at` accepted unless the caller passes another (`context={"floor":
#: datetime}`): an event dated before it is certainly wrong (year 1, a zero timestamp), and
#: accepting it would only have health drop it as too late, in silence.
EVENT_TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,  # \d would otherwise match any Unicode digit
)
_TIMESTAMP_EXAMPLE = "'2026-11-20T10:00:00Z'"


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp with a timezone offset, converted to UTC."""
    if isinstance(value, str):
        match = _TIMESTAMP.fullmatch(value.strip())
        # Most timestamps end in 'Z': converted here, with no call beyond the C parser's.
        if match is not None and match.group(8) == "Z":
            try:
                return datetime.fromisoformat(match.group(0)).astimezone(UTC)
            except (ValueError, OverflowError):
                pass  # an out-of-range field: `_parse_timestamp` says which
    return _parse_timestamp(value)


def parse_occurred_at(value: object, info: ValidationInfo) -> datetime:
    """`parse_timestamp`, rejecting a moment more than 24 h after now (`context={"now":
    datetime}`, else the clock) or before the floor (`context={"floor": datetime}`, else
    `EVENT_TIME_FLOOR`). One function: every event has an `occurred_at`."""
    moment = parse_timestamp(value)
    now = _now_from(info.context)
    if moment > now + MAX_FUTURE:
        raise _future(moment, now)
    floor = _floor_from(info.context)
    if moment < floor:
        raise _before_floor(moment, floor)
    return moment


def _parse_timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise fail("timestamp_naive", "expected a timezone-aware datetime, got a naive one")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise fail(
            "timestamp_type",
            "expected an RFC 3339 timestamp string such as {example}, got {got}",
            example=_TIMESTAMP_EXAMPLE,
            got=describe(value),
        )
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        raise fail(
            "timestamp_format",
            "expected an RFC 3339 timestamp such as {example}, got {got}",
            example=_TIMESTAMP_EXAMPLE,
            got=describe(value),
        )
    if match.group(8) is None:
        raise fail(
            "timestamp_naive",
            "timestamp {got} has no timezone; add 'Z' for UTC or an offset such as '+02:00'",
            got=describe(value),
        )
    return _timestamp_from_match(match, value)


def _timestamp_from_match(match: re.Match[str], received: str) -> datetime:
    zone = match.group(8)
    # fromisoformat reads offset minutes up to 99 ("+01:60" as +02:00); leave those to _offset.
    if zone in {"Z", "z"} or int(zone[4:6]) <= 59:
        try:
            # The C parser is fast; the regex above already enforced RFC 3339's shape.
            return datetime.fromisoformat(match.group(0)).astimezone(UTC)
        except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00:00+01:00 in UTC
            pass  # e.g. a lower-case 't'/'z' or an out-of-range field: parse it by hand below
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    try:
        tz = _offset(match.group(8))
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise fail(
            "timestamp_value",
            "timestamp {got} is not a valid date and time: {reason}",
            got=describe(received),
            reason=str(error),
        ) from error


def _offset(text: str) -> timezone:
    if text in {"Z", "z"}:
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if minutes > 59:
        raise ValueError(f"offset minutes {minutes} out of range 0..59")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _future(moment: datetime, now: datetime) -> Exception:
    return fail(
        "timestamp_future",
        "timestamp {got} is more than 24 h after now ({now}); send the time the event happened",
        got=moment.isoformat().replace("+00:00", "Z"),
        now=now.isoformat().replace("+00:00", "Z"),
    )


def _before_floor(moment: datetime, floor: datetime) -> Exception:
    return fail(
        "timestamp_before_floor",
        "timestamp {got} is before {floor}, the earliest event time accepted "
        "(PULSE_EVENT_TIME_FLOOR); send the time the event happened",
        got=_rfc3339(moment),
        floor=_rfc3339(floor),
    )


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _floor_from(context: object) -> datetime:
    floor = context.get("floor") if isinstance(context, dict) else None
    if floor is None:
        return EVENT_TIME_FLOOR
    if not isinstance(floor, datetime) or floor.tzinfo is None:
        raise TypeError(f"context 'floor' must be a timezone-aware datetime, got {floor!r}")
    return floor


def _now_from(context: object) -> datetime:
    now = context.get("now") if isinstance(context, dict) else None
    if now is None:
        return datetime.now(UTC)
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise TypeError(f"context 'now' must be a timezone-aware datetime, got {now!r}")
    return now


def parse_date(value: object) -> date:
    """A calendar date `YYYY-MM-DD`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise fail(
            "date_format", "expected a date such as '2027-01-31', got {got}", got=describe(value)
        )
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise fail(
            "date_value",
            "{got} is not a valid date: {reason}",
            got=describe(value),
            reason=str(error),
        ) from error
