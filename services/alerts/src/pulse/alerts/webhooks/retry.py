"""When to try a message again: capped exponential steps with full jitter, over at least
three days.

Full jitter (a uniform delay between zero and the step) spreads the retries of the many
messages that failed together when a receiver went down, so they do not all return at once
when it comes back. Because jitter can shorten every step, the last retry is not jittered: it
is pinned to the end of the retry window, so a message is never given up on sooner than
`RETRY_WINDOW` after its first attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pulse.alerts.webhooks.outcomes import Outcome, Response, TransportFailure, classify
from pulse.alerts.webhooks.retry_after import retry_after

#: The most each retry waits after the attempt before it; roughly exponential, then flat.
RETRY_STEPS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=24),
    timedelta(hours=24),
)
#: No message is given up on sooner than this after its first attempt.
RETRY_WINDOW = timedelta(days=3)
#: The first attempt, then one retry per step, then the one at the end of the window.
MAX_ATTEMPTS = 1 + len(RETRY_STEPS) + 1

#: A uniform random number in [0, 1); production passes `random.Random().random`.
Uniform = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Delivered:
    pass


@dataclass(frozen=True, slots=True)
class RetryAt:
    at: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    """No more attempts for this message; `disable_subscription` when the receiver said Gone."""

    disable_subscription: bool


Decision = Delivered | RetryAt | GiveUp


def jittered(step: timedelta, rng: Uniform) -> timedelta:
    """A delay in [0, step]: full jitter."""
    # Clamped so a random source that strays from [0, 1) can neither push a retry past its
    # step nor schedule it in the past.
    fraction = min(max(rng(), 0.0), 1.0)
    return timedelta(seconds=step.total_seconds() * fraction)


def next_attempt(
    attempt_number: int,
    result: Response | TransportFailure,
    now: datetime,
    rng: Uniform,
    *,
    first_attempted_at: datetime,
) -> Decision:
    """What follows attempt `attempt_number` (1 for the first) that ended at `now` with `result`.

    `first_attempted_at` is when attempt 1 was made; it anchors the retry window.
    """
    if attempt_number < 1:
        raise ValueError(f"attempts count from 1, not {attempt_number}")
    outcome = classify(result)
    if outcome is Outcome.DELIVERED:
        return Delivered()
    if outcome is Outcome.GONE:
        return GiveUp(disable_subscription=True)
    window_ends = first_attempted_at + RETRY_WINDOW
    if attempt_number <= len(RETRY_STEPS):
        at = now + jittered(RETRY_STEPS[attempt_number - 1], rng)
    elif attempt_number == len(RETRY_STEPS) + 1 and now < window_ends:
        at = window_ends
    else:
        return GiveUp(disable_subscription=False)
    if outcome is Outcome.THROTTLED and isinstance(result, Response):
        # The receiver's wish is a floor: it may slow us down, never speed us past the schedule.
        asked = retry_after(result.retry_after, now)
        if asked is not None:
            at = max(at, now + asked)
    return RetryAt(at)
