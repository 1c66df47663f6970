"""The whole simulated base, advanced a day at a time: what `pulse simulate` sends.

Pure: no clock and no I/O. The same seed, size, start and length give the same events,
byte for byte; each account's events depend only on the seed and the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pulse.devtools.simulation.account_run import AccountRun
from pulse.devtools.simulation.base import AccountProfile, generate_base
from pulse.devtools.simulation.envelopes import RawEvent
from pulse.devtools.simulation.incidents import platform_incidents
from pulse.devtools.simulation.truth import TruthRecord, truth_record


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate: `accounts` accounts over `days` days from `start` (day 0)."""

    seed: int
    accounts: int
    days: int
    start: date
    usd_only: bool = False  # renewals converts other currencies only with a rates file

    def __post_init__(self) -> None:
        if self.accounts < 1 or self.days < 1:
            raise ValueError("a simulation needs at least one account and one day")

    @property
    def end(self) -> date:
        """The first day after the simulation."""
        return self.start + timedelta(days=self.days)


@dataclass(frozen=True, slots=True)
class SimulatedDay:
    """One simulated day's events of every account, account by account."""

    day: int
    date: date
    events: list[RawEvent]


class Simulation:
    """Iterate `days()` once; then `truth()` tells what each account was and became."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.base: tuple[AccountProfile, ...] = generate_base(
            config.seed, config.accounts, config.start, config.days, usd_only=config.usd_only
        )
        incidents = platform_incidents(config.seed, config.days)
        self._runs = [
            AccountRun(config.seed, profile, config.start, incidents) for profile in self.base
        ]

    def days(self) -> Iterator[SimulatedDay]:
        """Each day's events, day 0 first."""
        for day in range(self.config.days):
            events: list[RawEvent] = []
            for run in self._runs:
                events.extend(run.day(day))
            yield SimulatedDay(day, self.config.start + timedelta(days=day), events)

    def truth(self) -> list[TruthRecord]:
        """Every account's ground truth, as far as the days generated so far reach."""
        return [truth_record(run.state.profile, run.outcomes) for run in self._runs]


def simulate_account(config: SimulationConfig, profile: AccountProfile) -> Iterator[list[RawEvent]]:
    """One account's events day by day, as they are within the whole simulation."""
    run = AccountRun(
        config.seed, profile, config.start, platform_incidents(config.seed, config.days)
    )
    for day in range(config.days):
        yield run.day(day)
