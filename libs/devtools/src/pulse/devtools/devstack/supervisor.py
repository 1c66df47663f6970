"""Keeps the dev stack running: restarts services that exit, gives up on crash loops, and
stops everything when the broker or PostgreSQL (the stack's memory) dies."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pulse.devtools.devstack.processes import ServiceProcess, say
from pulse.devtools.devstack.restarts import GiveUp, RestartPolicy, RestartTracker

_FAILED_TAIL_LINES = 12


@dataclass(frozen=True, slots=True)
class StackMemory:
    """The broker or PostgreSQL: without it the stack cannot go on."""

    name: str
    exit_code: Callable[[], int | None]
    log_path: Path
    loses: str  # what is gone when it dies


class StackLost(Exception):
    """The broker or PostgreSQL died; the message is what to print, one line each."""


def describe_exit(code: int) -> str:
    """`1`, or `-9 (killed by SIGKILL)` for a signal."""
    if code >= 0:
        return str(code)
    try:
        return f"{code} (killed by {signal.Signals(-code).name})"
    except ValueError:
        return f"{code} (killed by signal {-code})"


class Supervisor:
    """Call `poll()` often; it restarts, gives up on or reports what has exited."""

    def __init__(
        self,
        services: Sequence[ServiceProcess],
        memory: Sequence[StackMemory],
        policy: RestartPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._services = {s.name: s for s in services}
        self._memory = list(memory)
        now = clock()
        self._trackers = {s.name: RestartTracker(policy or RestartPolicy()) for s in services}
        for tracker in self._trackers.values():
            tracker.started(now)
        self._restart_at: dict[str, float] = {}
        self.failed: set[str] = set()
        self._retired: set[str] = set()

    def retire(self, name: str) -> None:
        """Stop supervising `name` (it is being stopped on purpose)."""
        self._retired.add(name)
        self._restart_at.pop(name, None)

    def poll(self) -> None:
        """Handle every exit since the last call; raises `StackLost` when memory died."""
        for part in self._memory:
            code = part.exit_code()
            if code is not None:
                raise StackLost(
                    f"{part.name} exited with code {describe_exit(code)}; see {part.log_path}\n"
                    f"{part.loses}\n"
                    "stopping the rest of the stack; run pulse dev again to start afresh"
                )
        now = self._clock()
        for name, service in self._services.items():
            if name in self._retired or name in self.failed:
                continue
            due = self._restart_at.get(name)
            if due is not None:
                if now >= due:
                    del self._restart_at[name]
                    service.start()
                    self._trackers[name].started(now)
                continue
            code = service.exit_code()
            if code is not None:
                self._exited(service, code, now)

    def _exited(self, service: ServiceProcess, code: int, now: float) -> None:
        decision = self._trackers[service.name].exited(now)
        if isinstance(decision, GiveUp):
            self.failed.add(service.name)
            say(
                f"pulse dev: {service.name} FAILED: exited {decision.exits} times within "
                f"{decision.window_s:g}s, last with code {describe_exit(code)}; not restarting it",
                sys.stderr,
            )
            say(f"pulse dev: the last lines of {service.name}:", sys.stderr)
            for line in list(service.tail)[-_FAILED_TAIL_LINES:]:
                say(f"    {line}", sys.stderr)
            say(
                f"pulse dev: {service.name}'s whole output is in {service.log_path}; the other "
                "services keep running. Fix the cause, then restart pulse dev.",
                sys.stderr,
            )
            return
        self._restart_at[service.name] = now + decision.delay_s
        say(
            f"pulse dev: {service.name} exited with code {describe_exit(code)}; "
            f"restarting in {decision.delay_s:g}s (restart {decision.number})",
            sys.stderr,
        )
