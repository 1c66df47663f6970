"""Daily event counts of one account, per series (an event type and its dimension values).

Everything lives in a few flat arrays, sorted by `series id << 16 | day`, so a typical
account's 90 days of history cost bytes per day instead of Python objects per day:
- counts: events per series and UTC day;
- value deltas: per series and day, how the number of events carrying a value and the sum
  of those values differ from "every event carried the value 1" (so usage events of
  quantity 1 and types without a value cost nothing here);
- per series, for ever (not pruned): the day of the latest event and the latest value
  with its time, which `days_since_last` and `latest` read beyond the daily window.
Counts and sums are additive, and "latest" keeps the maximum time, so the result does not
depend on the order events arrive in.
"""

from __future__ import annotations

import operator
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from pulse.health.scoring.packing import day_gaps, days_from_gaps

_DAY_BITS = 16
_DAY_MASK = (1 << _DAY_BITS) - 1
#: Most series one account can have (the 16 bits above the day in a 32-bit cell key).
MAX_SERIES = 0xFFFF

assert array("I").itemsize == 4, "needs 32-bit C unsigned ints"
assert array("i").itemsize == 4, "needs 32-bit C ints"


def _cell(series: int, day: int) -> int:
    return series << _DAY_BITS | day


class DailyCounts:
    """Per series: daily counts and value sums (pruned), latest time and value (kept)."""

    __slots__ = (
        "_cells",
        "_counts",
        "_keys",
        "_last",
        "_value",
        "_value_at",
        "_value_cells",
        "_value_counts",
        "_value_sums",
    )

    def __init__(self) -> None:
        self._keys: tuple[str, ...] = ()  # a tuple: exact size, and a ready cache key
        self._last: array[int] = array("H")  # day of the latest event of each series
        self._value_at: array[int] = array("I")  # time of its latest value (s); 0: none
        self._value: array[float] = array("d")  # its latest value
        self._cells: array[int] = array("I")  # cell keys, sorted
        self._counts: array[int] = array("H")  # widened to 32 bits past 65,535 a day
        self._value_cells: array[int] = array("I")  # cell keys of value deltas, sorted
        self._value_counts: array[int] = array("i")  # events with a value - events
        self._value_sums: array[float] = array("d")  # sum of values - events

    # -- writing -------------------------------------------------------------------------

    def add(self, key: str, day: int, second: int, value: float | None, valued: bool) -> None:
        """Count one event of series `key` on `day` at `second`.

        `valued`: the type has a value field; `value` is this event's value (None: absent).
        """
        series = self._series(key)
        cell = _cell(series, day)
        i = bisect_left(self._cells, cell)
        if i < len(self._cells) and self._cells[i] == cell:
            try:
                self._counts[i] += 1
            except OverflowError:
                self._counts = array("I", self._counts)
                self._counts[i] += 1
        else:
            self._cells.insert(i, cell)
            self._counts.insert(i, 1)
        self._last[series] = max(self._last[series], day)
        if valued:
            self._add_value(series, cell, second, value)

    def _add_value(self, series: int, cell: int, second: int, value: float | None) -> None:
        count_delta, sum_delta = (-1, -1.0) if value is None else (0, value - 1.0)
        if count_delta or sum_delta:
            i = bisect_left(self._value_cells, cell)
            if i < len(self._value_cells) and self._value_cells[i] == cell:
                self._value_counts[i] += count_delta
                self._value_sums[i] += sum_delta
            else:
                self._value_cells.insert(i, cell)
                self._value_counts.insert(i, count_delta)
                self._value_sums.insert(i, sum_delta)
        if value is None:
            return
        at = self._value_at[series]
        if second > at or (second == at and value > self._value[series]):
            self._value_at[series] = second
            self._value[series] = value  # ties: the larger value, whatever the arrival order

    def _series(self, key: str) -> int:
        try:
            return self._keys.index(key)
        except ValueError:
            pass
        if len(self._keys) >= MAX_SERIES:
            raise OverflowError(f"an account cannot have more than {MAX_SERIES} series")
        self._keys = (*self._keys, key)
        self._last.append(0)
        self._value_at.append(0)
        self._value.append(0.0)
        return len(self._keys) - 1

    def prune(self, first_day_of: Callable[[str], int]) -> bool:
        """Drop cells of days before `first_day_of(series key)`; whether any was dropped.

        Every array is rebuilt at its exact size, returning what inserts over-allocated.
        """
        firsts = [first_day_of(key) for key in self._keys]
        kept = [
            i for i, cell in enumerate(self._cells) if cell & _DAY_MASK >= firsts[cell >> _DAY_BITS]
        ]
        kept_values = [
            i
            for i, cell in enumerate(self._value_cells)
            if cell & _DAY_MASK >= firsts[cell >> _DAY_BITS]
        ]
        self._last, self._value_at, self._value = self._last[:], self._value_at[:], self._value[:]
        if len(kept) == len(self._cells) and len(kept_values) == len(self._value_cells):
            # Most days' prunes drop nothing: slices are the exact-size copies.
            self._cells, self._counts = self._cells[:], self._counts[:]
            self._value_cells, self._value_counts = self._value_cells[:], self._value_counts[:]
            self._value_sums = self._value_sums[:]
            return False
        self._cells = array("I", [self._cells[i] for i in kept])
        self._counts = array(self._counts.typecode, [self._counts[i] for i in kept])
        self._value_cells = array("I", [self._value_cells[i] for i in kept_values])
        self._value_counts = array("i", [self._value_counts[i] for i in kept_values])
        self._value_sums = array("d", [self._value_sums[i] for i in kept_values])
        return True

    # -- reading -------------------------------------------------------------------------

    @property
    def keys(self) -> tuple[str, ...]:
        """Every series key, by series id."""
        return self._keys

    def matching(self, match: Callable[[str], bool]) -> list[int]:
        """The ids of the series whose key satisfies `match`."""
        return [series for series, key in enumerate(self._keys) if match(key)]

    def _range(self, cells: array[int], series: int, first: int, last: int | None) -> slice:
        end = _cell(series + 1, 0) if last is None else _cell(series, last + 1)
        return slice(bisect_left(cells, _cell(series, first)), bisect_left(cells, end))

    def count(self, series: int, first: int, last: int | None = None) -> int:
        """Events of a series from day `first` to day `last` (None: no end), inclusive."""
        return sum(self._counts[self._range(self._cells, series, first, last)])

    def valued(self, series: int, first: int, last: int | None = None) -> tuple[int, float]:
        """(events carrying a value, sum of their values) of a series over days."""
        count = self.count(series, first, last)
        span = self._range(self._value_cells, series, first, last)
        return count + sum(self._value_counts[span]), count + sum(self._value_sums[span])

    def earliest_day(self, series: int, first: int) -> int | None:
        """The first day on or after `first` with an event of the series."""
        i = bisect_left(self._cells, _cell(series, first))
        if i < len(self._cells) and self._cells[i] >> _DAY_BITS == series:
            return self._cells[i] & _DAY_MASK
        return None

    def last_day(self, series: int) -> int | None:
        """The day of the latest event of the series, ever."""
        return self._last[series] if self._last[series] else None

    def latest_value(self, series: int) -> tuple[int, float] | None:
        """(time in s, value) of the latest event of the series that carried a value."""
        at = self._value_at[series]
        return (at, self._value[series]) if at else None

    # -- JSON ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, list[Any]]:
        """Column lists over all series (a few C-speed conversions, however many series):
        `keys`, `last` (day of each series' latest event), `cells` (days kept per series),
        `d` (those days, series after series, as gaps: see `day_gaps`), `n` (their counts);
        when any series carries values, also `vt`/`v` (each series' latest value and its
        time, 0: none) and `vcells`/`vd`/`vn`/`vs` (value deltas by day, laid out alike)."""
        series_count = len(self._keys)
        if not series_count:
            return {}
        out: dict[str, list[Any]] = {
            "keys": list(self._keys),
            "last": self._last.tolist(),
            "cells": _lengths(self._cells, series_count),
            "d": day_gaps([c & _DAY_MASK for c in self._cells]),
            "n": self._counts.tolist(),
        }
        if self._value_cells or any(self._value_at):
            out["vt"] = self._value_at.tolist()
            out["v"] = self._value.tolist()
            out["vcells"] = _lengths(self._value_cells, series_count)
            out["vd"] = day_gaps([c & _DAY_MASK for c in self._value_cells])
            out["vn"] = self._value_counts.tolist()
            out["vs"] = self._value_sums.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DailyCounts:
        """Rebuild from `to_dict`."""
        if not data:
            return cls()
        # Interned: the same few keys recur in every account (orjson shares dict keys, not
        # list items).
        keys = tuple(map(sys.intern, data["keys"]))
        if len(keys) > MAX_SERIES:
            raise ValueError(f"an account cannot have more than {MAX_SERIES} series")
        series_count = len(keys)
        counts = cls()
        counts._keys = keys
        counts._last = array("H", _column(data, "last", series_count, 0))
        counts._cells = array("I", _cells(data["cells"], data["d"], series_count))
        tallies = data["n"]
        if len(tallies) != len(counts._cells):
            raise ValueError("series days and counts differ in length")
        counts._counts = array("H" if max(tallies, default=0) <= 0xFFFF else "I", tallies)
        counts._value_at = array("I", _column(data, "vt", series_count, 0))
        counts._value = array("d", _column(data, "v", series_count, 0.0))
        counts._value_cells = array(
            "I", _cells(data.get("vcells", [0] * series_count), data.get("vd", []), series_count)
        )
        counts._value_counts = array("i", data.get("vn", []))
        counts._value_sums = array("d", data.get("vs", []))
        if not len(counts._value_cells) == len(counts._value_counts) == len(counts._value_sums):
            raise ValueError("series value days, counts and sums differ in length")
        return counts

    @classmethod
    def from_series_dicts(cls, data: dict[str, dict[str, Any]]) -> DailyCounts:
        """Rebuild from the layout of state format 1: `{series key: {d, n, t, vt, v, vd, vn,
        vs}}` (days as gaps per series; `t` the last day when no kept day shows it)."""
        if len(data) > MAX_SERIES:
            raise ValueError(f"an account cannot have more than {MAX_SERIES} series")
        counts = cls()
        counts._keys = tuple(data)
        cells: list[int] = []
        tallies: list[int] = []
        value_cells: list[int] = []
        value_counts: list[int] = []
        value_sums: list[float] = []
        for series, entry in enumerate(data.values()):
            base = series << _DAY_BITS
            days = days_from_gaps(entry.get("d", ()))
            counts._last.append(int(entry.get("t", days[-1] if days else 0)))
            counts._value_at.append(int(entry.get("vt", 0)))
            counts._value.append(float(entry.get("v", 0.0)))
            cells += [base | day for day in days]
            tallies += entry.get("n", ())
            value_cells += [base | day for day in days_from_gaps(entry.get("vd", ()))]
            value_counts += entry.get("vn", ())
            value_sums += entry.get("vs", ())
        if not len(cells) == len(tallies):
            raise ValueError("series days and counts differ in length")
        if not len(value_cells) == len(value_counts) == len(value_sums):
            raise ValueError("series value days, counts and sums differ in length")
        counts._cells = array("I", cells)
        counts._counts = array("H" if max(tallies, default=0) <= 0xFFFF else "I", tallies)
        counts._value_cells = array("I", value_cells)
        counts._value_counts = array("i", value_counts)
        counts._value_sums = array("d", [float(s) for s in value_sums])
        return counts


def _lengths(cells: array[int], series_count: int) -> list[int]:
    """How many cells each series has."""
    bounds = _bounds(cells, series_count)
    return list(map(operator.sub, bounds[1:], bounds[:-1]))


def _column(data: dict[str, Any], name: str, series_count: int, absent: float) -> list[Any]:
    """One per-series column, checked for length; `absent` for each series when missing."""
    column: list[Any] = data.get(name, [absent] * series_count)
    if len(column) != series_count:
        raise ValueError(f"series column {name!r} has {len(column)} entries, not {series_count}")
    return column


def _cells(lengths: list[int], gaps: list[int], series_count: int) -> list[int]:
    """Cell keys from per-series lengths and the gap-encoded days of all series."""
    if len(lengths) != series_count or sum(lengths) != len(gaps):
        raise ValueError("series cell lengths do not match their days")
    series_of = [series for series, length in enumerate(lengths) for _ in range(length)]
    return [
        series << _DAY_BITS | day
        for series, day in zip(series_of, days_from_gaps(gaps), strict=True)
    ]


def _bounds(cells: array[int], series_count: int) -> list[int]:
    """Where each series' cells start, and where the last ends."""
    return [bisect_left(cells, _cell(series, 0)) for series in range(series_count + 1)]
