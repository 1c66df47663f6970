"""A seeded synthetic customer base, simulated day by day (the pure core of `pulse simulate`).

`Simulation(SimulationConfig(seed, accounts, days, start))` generates each day's events of
every account as ingest takes them, and the ground truth of every renewal outcome. No I/O,
no clock: the same configuration gives the same events, byte for byte.
"""

from __future__ import annotations

from pulse.devtools.simulation.base import AccountProfile, generate_base, generate_profile
from pulse.devtools.simulation.envelopes import RawEvent
from pulse.devtools.simulation.outcomes import Outcome, PathSummary
from pulse.devtools.simulation.personas import Persona
from pulse.devtools.simulation.simulation import (
    SimulatedDay,
    Simulation,
    SimulationConfig,
    simulate_account,
)
from pulse.devtools.simulation.truth import TruthRecord

__all__ = [
    "AccountProfile",
    "Outcome",
    "PathSummary",
    "Persona",
    "RawEvent",
    "SimulatedDay",
    "Simulation",
    "SimulationConfig",
    "TruthRecord",
    "generate_base",
    "generate_profile",
    "simulate_account",
]
