"""Durations written in rules as `14d`, `12h`, `30m` or `0s`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_PATTERN = re.compile(r"^(\d{1,6})([dhms])$")
#: Longest duration a rule may name; windows of years are a mistake, not a need.
MAX_DURATION = timedelta(days=3_650)


def parse_duration(value: object) -> timedelta:
    """`14d` → 14 days; anything else (numbers, ISO strings, `2w`) is refused."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not (found := _PATTERN.match(value.strip())):
        raise ValueError(f"expected a duration such as 14d, 12h, 30m or 0s, got {value!r}")
    amount, unit = found.groups()
    duration = timedelta(**{_UNITS[unit]: int(amount)})
    if duration > MAX_DURATION:
        raise ValueError(f"expected at most {MAX_DURATION.days} days, got {value!r}")
    return duration


def format_duration(duration: timedelta) -> str:
    """The shortest exact `14d` / `36h` / `90m` / `5s` spelling of a duration."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0 and seconds:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe_duration(duration: timedelta) -> str:
    """Words for reasons: `14 days`, `1 day`, `36 hours`, `90 minutes`."""
    seconds = int(duration.total_seconds())
    for word, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if seconds % size == 0 and seconds >= size:
            amount = seconds // size
            return f"{amount} {word}" + ("" if amount == 1 else "s")
    return "0 seconds"


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
