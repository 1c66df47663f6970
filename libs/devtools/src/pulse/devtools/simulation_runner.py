"""Driving a simulation through ingest: day after day, paced to a speed, counting the rate.

The clock and the sleep are parameters, so the pacing can be checked without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pulse.devtools.ingest_sender import IngestError, IngestSender
from pulse.devtools.simulation import SimulatedDay, Simulation

#: Rejections shown when ingest refuses generated events (they mean the simulator is wrong).
REJECTIONS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run sent and how fast."""

    days: int
    generated: int
    accepted: int
    requests: int
    retries: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        """Accepted events per second of the run."""
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


def seconds_per_day(days_per_minute: float | None) -> float:
    """Real seconds each simulated day takes at least; 0 for `--speed max`."""
    if days_per_minute is None:
        return 0.0
    if days_per_minute <= 0:
        raise ValueError("the speed must be above 0 simulated days per minute")
    return 60.0 / days_per_minute


async def run_simulation(
    simulation: Simulation,
    sender: IngestSender,
    *,
    days_per_minute: float | None,
    on_day: Callable[[SimulatedDay, RunReport], None] = lambda day, report: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RunReport:
    """Send each simulated day's events, none before its time at the given speed (None: as
    fast as ingest takes them). Raises `IngestError` when ingest refuses or rejects."""
    pace = seconds_per_day(days_per_minute)
    started = clock()
    generated = 0
    report = RunReport(0, 0, 0, 0, 0, 0.0)
    days = simulation.days()
    # The next day is generated in a thread while this one is sent: ingest is the other
    # process, so generating and sending overlap instead of taking turns.
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, days, None))
    try:
        while (day := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, days, None))
            wait = started + day.day * pace - clock()
            if wait > 0:
                await sleep(wait)
            generated += len(day.events)
            await sender.send(day.events)
            _check_nothing_rejected(sender)
            tally = sender.tally
            report = RunReport(
                day.day + 1,
                generated,
                tally.accepted,
                tally.requests,
                tally.retries,
                clock() - started,
            )
            on_day(day, report)
    finally:
        if not upcoming.done():
            await asyncio.wait([upcoming])  # a generator cannot be left running in a thread
    return report


def _check_nothing_rejected(sender: IngestSender) -> None:
    rejected = sender.tally.rejected
    if rejected:
        shown = "; ".join(str(item) for item in rejected[:REJECTIONS_SHOWN])
        raise IngestError(f"ingest rejected {len(rejected)} generated events: {shown}")
