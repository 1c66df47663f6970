"""A clock for the services under test: real time plus an offset the test moves forward,
so windows, due dates and retries arrive on cue while everything else runs for real."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    """`datetime.now(UTC)` plus an offset; pass it where a service takes a `clock`."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward by `delta`."""
        self.offset += delta

    def reach(self, moment: datetime) -> None:
        """Move forward to `moment` unless it has passed."""
        if moment > self():
            self.advance(moment - self())
