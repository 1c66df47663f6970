"""Token buckets: bursts, refill, per-key isolation, and the wait they report."""

from __future__ import annotations

import math

from pulse.ingest.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_wait_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=20, clock=clock)
    assert limiter.take("k", 20) == 0.0
    assert limiter.take("k", 5) == 0.5  # 5 tokens at 10/s
    clock.now = 0.5
    assert limiter.take("k", 5) == 0.0
    clock.now = 100.0
    assert limiter.take("k", 20) == 0.0  # refilled, but never above the burst
    assert limiter.take("k", 1) == 0.1


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    assert limiter.take("a", 1) == 0.0
    assert limiter.take("b", 1) == 0.0
    assert limiter.take("a", 1) > 0


def test_a_request_larger_than_the_burst_never_fits() -> None:
    limiter = RateLimiter(rate=1, burst=5, clock=Clock())
    assert limiter.take("a", 6) == math.inf
