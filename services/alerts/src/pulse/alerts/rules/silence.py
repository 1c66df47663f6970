"""Silence for absence rules: how long since the last matching event.

The silence starts at the last matching event at or before `now`, or at the moment the
state was started when none came. The rule holds once the silence has lasted `silence`
exactly: at `last + silence` to the second, the same edge as windows (an event exactly one
window old no longer counts, so the window is empty). Only the newest past event matters;
events stamped after `now` wait in a heap until `now` reaches them.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from fractions import Fraction
from typing import Self

from pulse.alerts.rules.definitions import AbsenceRule
from pulse.alerts.rules.intake import Intake, Outcome
from pulse.alerts.rules.snapshots import Snapshot, from_micros, to_micros
from pulse.alerts.rules.verdict import Evidence, Verdict
from pulse.common.events import Event


class SilenceState:
    """The last matching event of one (absence rule, account)."""

    def __init__(self, rule: AbsenceRule, started_at: datetime) -> None:
        self.rule = rule
        self.started_at = started_at
        self._intake = Intake(started_at)
        self._last: tuple[datetime, str] | None = None
        self._ahead: list[tuple[datetime, str]] = []

    def observe(self, event: Event, now: datetime) -> Outcome:
        """Take an event seen at `now` (which must not be before the last `now`)."""
        self._advance(now)
        if not self.rule.selects(event):
            return Outcome.NOT_WATCHED
        # Only the newest moment matters, which a replay cannot change: no ids are kept,
        # so a busy account's usage costs the state nothing.
        outcome = self._intake.admit(event.id, event.occurred_at, remember=False)
        if outcome is Outcome.TAKEN:
            if event.occurred_at > now:
                heapq.heappush(self._ahead, (event.occurred_at, event.id))
            else:
                self._note((event.occurred_at, event.id))
        return outcome

    def evaluate(self, now: datetime) -> Verdict:
        """Whether the silence has lasted long enough at `now`."""
        self._advance(now)
        since = self._last[0] if self._last else self.started_at
        opens_at = since + self.rule.silence
        holds = opens_at <= now
        edges = [self._ahead[0][0]] if self._ahead else []
        if not holds:
            edges.append(opens_at)
        evidence = (Evidence(self._last[1], self._last[0], Fraction(1)),) if self._last else ()
        return Verdict(
            holds=holds,
            at=now,
            count=0 if holds else 1,
            total=Fraction(0 if holds else 1),
            evidence=evidence,
            next_change=min(edges, default=None),
            silent_since=since,
        )

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values (see `snapshots`)."""
        last = [to_micros(self._last[0]), self._last[1]] if self._last else None
        return {
            "started_at": to_micros(self.started_at),
            "intake": self._intake.snapshot(),
            "last": last,
            "ahead": [[to_micros(at), event_id] for at, event_id in self._ahead],
        }

    @classmethod
    def restore(cls, rule: AbsenceRule, snapshot: Snapshot) -> Self:
        """The state `snapshot` was taken of, for the same rule."""
        state = cls(rule, from_micros(snapshot["started_at"]))
        state._intake = Intake.restore(snapshot["intake"])
        last = snapshot["last"]
        state._last = (from_micros(last[0]), last[1]) if last else None
        state._ahead = [(from_micros(micros), event_id) for micros, event_id in snapshot["ahead"]]
        return state

    def _advance(self, now: datetime) -> None:
        self._intake.advance(now)
        while self._ahead and self._ahead[0][0] <= now:
            self._note(heapq.heappop(self._ahead))

    def _note(self, seen: tuple[datetime, str]) -> None:
        if self._last is None or seen[0] > self._last[0]:
            self._last = seen
