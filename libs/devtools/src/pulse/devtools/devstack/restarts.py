"""When `pulse dev` restarts a service that exited: pure policy, time passed in.

Backoff doubles from `first_delay_s` to `max_delay_s` and starts over once a run lasted
`healthy_after_s`; `crash_loop_exits` exits within `crash_loop_window_s` mean the
service cannot run as configured, so it is given up on (shown FAILED) instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """How long to wait before each restart, and when to give up."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    healthy_after_s: float = 60.0
    crash_loop_exits: int = 5
    crash_loop_window_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Restart:
    """Restart after `delay_s`; `number` counts restarts since the service first started."""

    delay_s: float
    number: int


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Crash-looping: `exits` exits within `window_s`."""

    exits: int
    window_s: float


@dataclass(slots=True)
class RestartTracker:
    """One service's restart history under a policy; every method takes the current time."""

    policy: RestartPolicy = field(default_factory=RestartPolicy)
    restarts: int = 0
    _started_at: float = 0.0
    _next_delay_s: float = 0.0
    _exits: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._next_delay_s = self.policy.first_delay_s

    def started(self, now: float) -> None:
        """The service (re)started at `now`."""
        self._started_at = now

    def exited(self, now: float) -> Restart | GiveUp:
        """The service exited at `now`: when to restart it, or that it is crash-looping."""
        policy = self.policy
        self._exits.append(now)
        while self._exits and self._exits[0] <= now - policy.crash_loop_window_s:
            self._exits.popleft()
        if len(self._exits) >= policy.crash_loop_exits:
            return GiveUp(exits=len(self._exits), window_s=policy.crash_loop_window_s)
        if now - self._started_at >= policy.healthy_after_s:
            self._next_delay_s = policy.first_delay_s
        delay = self._next_delay_s
        self._next_delay_s = min(delay * 2, policy.max_delay_s)
        self.restarts += 1
        return Restart(delay_s=delay, number=self.restarts)
