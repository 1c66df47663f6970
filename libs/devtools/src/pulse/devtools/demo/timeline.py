"""The demo's simulated time: which days the simulation covers, and the shared clock the
services run on so that what they store is dated in simulated time. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class DemoTimeline:
    """`days` simulated days ending yesterday, played at `days_per_minute`, from `anchor`.

    The services' clock runs one day ahead of the simulator: day d's events are sent when
    day d begins at the simulator's pace, and by then the services' clock reads the end of
    day d, so no event is ever in their future. It stops at the start of today (`end`).
    """

    first_day: date
    days: int
    days_per_minute: float
    anchor: datetime

    @classmethod
    def ending_today(
        cls, today: date, days: int, days_per_minute: float, anchor: datetime
    ) -> DemoTimeline:
        return cls(today - timedelta(days=days), days, days_per_minute, anchor)

    @property
    def clock_start(self) -> datetime:
        return datetime.combine(self.first_day + timedelta(days=1), time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.first_day + timedelta(days=self.days), time(), UTC)

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self.days_per_minute * SECONDS_PER_DAY / 60.0

    def clock_env(self) -> dict[str, str]:
        """The PULSE_SIMULATED_TIME_* settings every service reads its clock from."""
        return {
            "PULSE_SIMULATED_TIME_START": self.clock_start.isoformat(),
            "PULSE_SIMULATED_TIME_ANCHOR": self.anchor.isoformat(),
            "PULSE_SIMULATED_TIME_SPEED": repr(self.speed),
            "PULSE_SIMULATED_TIME_END": self.end.isoformat(),
        }
