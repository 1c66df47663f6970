"""What time it is for the domain: the wall clock, or a simulated (time-compressed) one.

A demo or simulation replays months of history in minutes, its events carrying simulated
times. Services that judge "now" (health's windows, alerts' rules, renewals' today) then
run on a `CompressedClock` built from the `PULSE_SIMULATED_TIME_*` settings: every process
reads the same simulated time from the same settings, with no per-process start. Timers
that pace real work (sleeps, leases, retry delays) keep the wall clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pulse.common.settings import Settings

log = logging.getLogger(__name__)

#: Reads the current moment (timezone-aware, UTC).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CompressedClock:
    """Reads `start` when `wall()` reads `anchor`, then runs `speed` times as fast; never
    before `start`, and standing still at `end` once it is reached (when given)."""

    start: datetime
    anchor: datetime
    speed: float
    end: datetime | None = None
    wall: Clock = utc_now

    def __post_init__(self) -> None:
        for name in ("start", "anchor", "end"):
            moment: datetime | None = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
        if not self.speed > 0:
            raise ValueError(f"speed must be above 0, got {self.speed}")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start")

    def __call__(self) -> datetime:
        elapsed = max(self.wall() - self.anchor, timedelta())
        moment = (self.start + elapsed * self.speed).astimezone(UTC)
        return moment if self.end is None else min(moment, self.end.astimezone(UTC))


def clock_from_settings(settings: Settings) -> Clock:
    """The clock the services judge "now" by: the wall clock, or the simulated one of the
    `PULSE_SIMULATED_TIME_*` settings (announced by a WARNING, never silent)."""
    start, anchor, speed = (
        settings.simulated_time_start,
        settings.simulated_time_anchor,
        settings.simulated_time_speed,
    )
    if start is None or anchor is None or speed is None:
        return utc_now
    end = settings.simulated_time_end
    log.warning(
        "running on a SIMULATED clock (for demos and simulations only): %s at wall time %s, "
        "%gx as fast, %s",
        start.isoformat(),
        anchor.isoformat(),
        speed,
        f"standing still at {end.isoformat()}" if end else "with no end",
    )
    return CompressedClock(start, anchor, speed, end)
