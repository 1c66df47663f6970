"""Rule states as JSON-able values, so the service can store them with consumed offsets.

A snapshot holds exactly what evaluation needs: the events inside a window (or the last one
of a silence), those stamped ahead of `now`, and the ids remembered to refuse replays.
Moments are integer microseconds since the epoch (UTC): exact, and cheaper to encode and
compare than text. Heaps are stored in heap order, so reading one back needs no sort.
Sums are kept as `[numerator, denominator]`, exact as in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Snapshot = dict[str, Any]


def to_micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The moment `to_micros` gave `micros` for."""
    return _EPOCH + timedelta(microseconds=micros)


def fraction_to_json(value: Fraction) -> list[int]:
    """An exact fraction as `[numerator, denominator]`."""
    return [value.numerator, value.denominator]


def fraction_from_json(value: list[int]) -> Fraction:
    """The fraction `fraction_to_json` gave `value` for."""
    return Fraction(value[0], value[1])
