"""Sliding event-time windows for count, sum and match rules.

An event that occurred at `t` counts at `now` when `t <= now < t + window`: it counts from
the second it happened, and an event exactly one window old has left (a 14-day window at
noon on the 15th no longer counts an event from noon on the 1st). Events are held in two
heaps: those already inside the window, oldest first, to evict at their edge without a
scan; and those stamped after `now`, which enter when `now` reaches them.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Self

from pulse.alerts.rules.definitions import SumRule, WindowRule, threshold_of, window_of
from pulse.alerts.rules.intake import Intake, Outcome
from pulse.alerts.rules.snapshots import (
    Snapshot,
    fraction_from_json,
    fraction_to_json,
    from_micros,
    to_micros,
)
from pulse.alerts.rules.verdict import MAX_EVIDENCE, Evidence, Verdict
from pulse.common.events import Event

_Entry = tuple[datetime, str, Fraction]


class WindowState:
    """The events of one (windowed rule, account) inside the window, and their total."""

    def __init__(self, rule: WindowRule, started_at: datetime) -> None:
        self.rule = rule
        self._window = window_of(rule)
        # Sums are kept as exact fractions: adding and taking away floats drifts, and a
        # total must come back to exactly 0 when every event has left.
        self._threshold = Fraction(Decimal(repr(threshold_of(rule))))
        self._intake = Intake(started_at)
        self._inside: list[_Entry] = []
        self._ahead: list[_Entry] = []
        self._total = Fraction(0)

    def observe(self, event: Event, now: datetime) -> Outcome:
        """Take an event seen at `now` (which must not be before the last `now`)."""
        self._advance(now)
        value = self._value_of(event)
        if value is None:
            return Outcome.NOT_WATCHED
        outcome = self._intake.admit(event.id, event.occurred_at)
        if outcome is not Outcome.TAKEN:
            return outcome
        entry = (event.occurred_at, event.id, value)
        if event.occurred_at > now:
            heapq.heappush(self._ahead, entry)
        elif event.occurred_at + self._window > now:
            heapq.heappush(self._inside, entry)
            self._total += value
        # else: taken (its id is remembered) but already out of the window.
        return outcome

    def evaluate(self, now: datetime) -> Verdict:
        """Whether the rule holds at `now`, with the events behind it."""
        self._advance(now)
        evidence = tuple(
            Evidence(event_id, occurred_at, value)
            for occurred_at, event_id, value in sorted(heapq.nlargest(MAX_EVIDENCE, self._inside))
        )
        return Verdict(
            holds=self._total >= self._threshold,
            at=now,
            count=len(self._inside),
            total=self._total,
            evidence=evidence,
            next_change=self._next_change(),
        )

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values (see `snapshots`)."""
        return {
            "intake": self._intake.snapshot(),
            "inside": [_entry_to_json(e) for e in self._inside],
            "ahead": [_entry_to_json(e) for e in self._ahead],
        }

    @classmethod
    def restore(cls, rule: WindowRule, snapshot: Snapshot) -> Self:
        """The state `snapshot` was taken of, for the same rule."""
        state = cls(rule, from_micros(snapshot["intake"]["clock"]))
        state._intake = Intake.restore(snapshot["intake"])
        # Stored in heap order: read back as the same heaps.
        state._inside = [_entry_from_json(e) for e in snapshot["inside"]]
        state._ahead = [_entry_from_json(e) for e in snapshot["ahead"]]
        state._total = sum((e[2] for e in state._inside), Fraction(0))
        return state

    def held(self) -> int:
        """How many events the state holds (inside the window or ahead of `now`)."""
        return len(self._inside) + len(self._ahead)

    def remembered_ids(self) -> int:
        """How many event ids the state keeps to refuse replays."""
        return self._intake.remembered()

    def _advance(self, now: datetime) -> None:
        self._intake.advance(now)
        while self._ahead and self._ahead[0][0] <= now:
            entry = heapq.heappop(self._ahead)
            if entry[0] + self._window > now:
                heapq.heappush(self._inside, entry)
                self._total += entry[2]
        while self._inside and self._inside[0][0] + self._window <= now:
            self._total -= heapq.heappop(self._inside)[2]

    def _next_change(self) -> datetime | None:
        edges = []
        if self._inside:
            edges.append(self._inside[0][0] + self._window)
        if self._ahead:
            edges.append(self._ahead[0][0])
        return min(edges, default=None)

    def _value_of(self, event: Event) -> Fraction | None:
        """What the event adds: 1 for counts and matches, the field for sums; None when
        the rule does not watch it."""
        if not self.rule.selects(event):
            return None
        if not isinstance(self.rule, SumRule):
            return Fraction(1)
        value = getattr(event.data, self.rule.field, None)
        if value is None or isinstance(value, bool):
            return None
        return Fraction(value)


def _entry_to_json(entry: _Entry) -> list[Any]:
    return [to_micros(entry[0]), entry[1], fraction_to_json(entry[2])]


def _entry_from_json(value: list[Any]) -> _Entry:
    return (from_micros(value[0]), value[1], fraction_from_json(value[2]))
