"""When a subscription that only fails is warned about, then disabled.

A subscription is judged on its current failure streak: the attempts since its last
success. It is disabled once every attempt for `DISABLE_AFTER` has failed, but only if those
failures themselves span `MIN_FAILING_SPAN`: a single message that failed a few times in a
minute five days ago, with nothing attempted since, is no evidence the endpoint is still
down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

WARN_AFTER = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
MIN_FAILING_SPAN = timedelta(hours=12)

Verdict = Literal["ok", "warn", "disable"]


@dataclass(frozen=True, slots=True)
class FailureStreak:
    """The failed attempts since the subscription's last success (or since it began)."""

    first_failure_at: datetime
    last_failure_at: datetime

    def __post_init__(self) -> None:
        if self.last_failure_at < self.first_failure_at:
            raise ValueError("a streak's last failure cannot precede its first")


def record_attempt(
    streak: FailureStreak | None, attempted_at: datetime, succeeded: bool
) -> FailureStreak | None:
    """The streak after one more attempt: a success ends it, a failure starts or extends it."""
    if succeeded:
        return None
    if streak is None:
        return FailureStreak(attempted_at, attempted_at)
    return FailureStreak(streak.first_failure_at, max(streak.last_failure_at, attempted_at))


def subscription_verdict(streak: FailureStreak | None, now: datetime) -> Verdict:
    """ok, warn (tell the owner it will be disabled) or disable."""
    if streak is None:
        return "ok"
    failing_for = now - streak.first_failure_at
    failing_span = streak.last_failure_at - streak.first_failure_at
    if failing_for >= DISABLE_AFTER and failing_span >= MIN_FAILING_SPAN:
        return "disable"
    if failing_for >= WARN_AFTER:
        return "warn"
    return "ok"
