"""`Period`: the half-open span [start, end) every retention figure is measured over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end): changes effective at `start` are in, those at `end` are the next one's."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's start and end must carry a time zone")
        if not self.start < self.end:
            raise ValueError(
                f"a period must end after it starts: {self.start.isoformat()} to "
                f"{self.end.isoformat()}"
            )

    @property
    def start_day(self) -> date:
        """The UTC day of `start`: its rates open the period."""
        return rate_day(self.start)

    @property
    def end_day(self) -> date:
        """The UTC day of `end`: its rates close the period."""
        return rate_day(self.end)


def rate_day(moment: datetime) -> date:
    """The UTC day whose exchange rates apply at `moment`."""
    return moment.astimezone(UTC).date()
