"""Readiness: whether a service reaches its dependencies, for `/readyz` and as the
`pulse_dependency_up` gauge, which a loop refreshes even when nobody calls `/readyz`
(Prometheus must see an unreachable database without a load balancer probing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from pulse.common.metrics import DEPENDENCY_UP

#: Longest wait for one dependency's answer.
READINESS_TIMEOUT_S = 2.0
#: How often the loop checks (the gauge must be at most 15 s old).
READINESS_REFRESH_S = 10.0
OK = "ok"

#: A dependency's name in `/readyz` and the check that raises when it is unreachable.
Probes = Mapping[str, Callable[[], Awaitable[None]]]

#: The `dependency` label of each check `/readyz` reports.
DEPENDENCY_LABELS = {"kafka": "kafka", "database": "postgres"}


async def check_readiness(probes: Probes) -> dict[str, str]:
    """Each dependency's state: "ok", or "unavailable: <why>"; also sets the gauge."""
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            async with asyncio.timeout(READINESS_TIMEOUT_S):
                await probe()
            checks[name] = OK
        except Exception as exc:
            checks[name] = f"unavailable: {exc or type(exc).__name__}"
    record_readiness(checks)
    return checks


def record_readiness(checks: Mapping[str, str]) -> None:
    """Set `pulse_dependency_up` from checks as `check_readiness` returns them."""
    for name, state in checks.items():
        DEPENDENCY_UP.labels(DEPENDENCY_LABELS.get(name, name)).set(1 if state == OK else 0)


async def watch_readiness(
    probes: Probes, *, every_s: float = READINESS_REFRESH_S, after: Callable[[], None]
) -> None:
    """Check the dependencies every `every_s` until cancelled; `after` each round (other
    gauges refreshed on the same beat)."""
    while True:
        await check_readiness(probes)
        after()
        await asyncio.sleep(every_s)
