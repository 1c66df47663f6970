"""The shell's pure parts: how long it waits before a retry and between days."""

from __future__ import annotations

import pytest

from pulse.devtools.ingest_sender import RetryPolicy
from pulse.devtools.simulation_runner import seconds_per_day


def test_a_retry_waits_as_long_as_retry_after_says() -> None:
    assert RetryPolicy().backoff(1, "3") == 3.0
    assert RetryPolicy(max_backoff_s=10).backoff(1, "3600") == 10.0


def test_without_retry_after_the_wait_doubles_up_to_a_ceiling() -> None:
    policy = RetryPolicy(first_backoff_s=0.5, max_backoff_s=3)
    assert [policy.backoff(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(2, "soon") == 1.0  # an unreadable Retry-After is ignored


def test_speed_is_simulated_days_per_real_minute() -> None:
    assert seconds_per_day(60) == 1.0
    assert seconds_per_day(None) == 0.0  # --speed max
    with pytest.raises(ValueError, match="above 0"):
        seconds_per_day(0)
