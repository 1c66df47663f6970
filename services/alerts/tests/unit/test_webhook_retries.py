"""Outcome classification, `Retry-After` and the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.alerts.webhooks.outcomes import Outcome, Response, TransportFailure, classify
from pulse.alerts.webhooks.retry import (
    MAX_ATTEMPTS,
    RETRY_STEPS,
    RETRY_WINDOW,
    Decision,
    Delivered,
    GiveUp,
    RetryAt,
    jittered,
    next_attempt,
)
from pulse.alerts.webhooks.retry_after import MAX_RETRY_AFTER, retry_after

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FAILED = Response(500)


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (Response(200), Outcome.DELIVERED),
        (Response(204), Outcome.DELIVERED),
        (Response(299), Outcome.DELIVERED),
        (Response(410), Outcome.GONE),
        (Response(301), Outcome.FAILED),
        (Response(302), Outcome.FAILED),
        (Response(308), Outcome.FAILED),
        (Response(400), Outcome.FAILED),
        (Response(404), Outcome.FAILED),
        (Response(500), Outcome.FAILED),
        (Response(429), Outcome.THROTTLED),
        (Response(503), Outcome.THROTTLED),
        (Response(100), Outcome.FAILED),
        (TransportFailure.TIMEOUT, Outcome.FAILED),
        (TransportFailure.CONNECTION_ERROR, Outcome.FAILED),
    ],
)
def test_classification(result: Response | TransportFailure, outcome: Outcome) -> None:
    assert classify(result) is outcome


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("999999999", MAX_RETRY_AFTER),
        ("Thu, 03 Dec 2026 12:10:00 GMT", timedelta(minutes=10)),
        ("Thu, 03 Dec 2026 11:00:00 GMT", timedelta(0)),
        ("Fri, 04 Dec 2026 18:00:00 GMT", MAX_RETRY_AFTER),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, expected: timedelta | None) -> None:
    assert retry_after(header, NOW) == expected


def test_the_schedule_spans_at_least_three_days() -> None:
    assert sum(RETRY_STEPS, timedelta(0)) >= RETRY_WINDOW >= timedelta(days=3)
    assert list(RETRY_STEPS) == sorted(RETRY_STEPS)


def test_success_and_gone_end_the_message() -> None:
    assert next_attempt(3, Response(200), NOW, lambda: 0.5, first_attempted_at=NOW) == Delivered()
    assert next_attempt(1, Response(410), NOW, lambda: 0.5, first_attempted_at=NOW) == GiveUp(
        disable_subscription=True
    )


def test_each_retry_is_jittered_within_its_step() -> None:
    for number, step in enumerate(RETRY_STEPS, start=1):
        assert next_attempt(number, FAILED, NOW, lambda: 0.5, first_attempted_at=NOW) == RetryAt(
            NOW + step / 2
        )


def test_after_the_steps_one_last_try_at_the_end_of_the_window() -> None:
    last_step = len(RETRY_STEPS) + 1
    early = NOW + timedelta(days=1)
    assert next_attempt(last_step, FAILED, early, lambda: 0.0, first_attempted_at=NOW) == RetryAt(
        NOW + RETRY_WINDOW
    )
    late = NOW + RETRY_WINDOW
    assert next_attempt(last_step, FAILED, late, lambda: 0.0, first_attempted_at=NOW) == GiveUp(
        disable_subscription=False
    )
    assert next_attempt(MAX_ATTEMPTS, FAILED, late, lambda: 0.0, first_attempted_at=NOW) == GiveUp(
        disable_subscription=False
    )


def test_retry_after_is_a_floor_on_429_and_503_only() -> None:
    slow_down = Response(429, retry_after="600")
    assert next_attempt(1, slow_down, NOW, lambda: 0.5, first_attempted_at=NOW) == RetryAt(
        NOW + timedelta(seconds=600)
    )
    unavailable = Response(503, retry_after="Thu, 03 Dec 2026 13:00:00 GMT")
    assert next_attempt(1, unavailable, NOW, lambda: 0.5, first_attempted_at=NOW) == RetryAt(
        NOW + timedelta(hours=1)
    )
    # Shorter than the schedule's delay: the schedule wins.
    assert next_attempt(
        5, Response(429, retry_after="1"), NOW, lambda: 0.5, first_attempted_at=NOW
    ) == RetryAt(NOW + RETRY_STEPS[4] / 2)
    # Ignored on other statuses.
    assert next_attempt(
        1, Response(500, retry_after="600"), NOW, lambda: 0.5, first_attempted_at=NOW
    ) == RetryAt(NOW + timedelta(seconds=2.5))
    # Capped.
    assert next_attempt(
        1, Response(503, retry_after="9999999"), NOW, lambda: 0.5, first_attempted_at=NOW
    ) == RetryAt(NOW + MAX_RETRY_AFTER)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="count from 1"):
        next_attempt(0, FAILED, NOW, lambda: 0.5, first_attempted_at=NOW)


@given(
    step=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    draw=st.floats(min_value=0.0, max_value=1.0),
)
def test_jittered_delay_is_within_zero_and_the_step(step: timedelta, draw: float) -> None:
    assert timedelta(0) <= jittered(step, lambda: draw) <= step


failures = st.one_of(
    st.sampled_from([TransportFailure.TIMEOUT, TransportFailure.CONNECTION_ERROR]),
    st.builds(
        Response,
        st.sampled_from([301, 400, 404, 429, 500, 502, 503]),
        st.one_of(st.none(), st.integers(0, 200_000).map(str)),
    ),
)


@given(
    results=st.lists(failures, min_size=MAX_ATTEMPTS, max_size=MAX_ATTEMPTS),
    draws=st.lists(
        st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
        min_size=MAX_ATTEMPTS,
        max_size=MAX_ATTEMPTS,
    ),
)
def test_a_failing_message_is_retried_for_at_least_the_window_and_then_given_up(
    results: list[Response | TransportFailure], draws: list[float]
) -> None:
    """However the jitter falls and whatever the receiver answers, retries keep going until the
    window has passed, each one later than the last, and stop after at most MAX_ATTEMPTS."""
    rng = iter(draws).__next__
    now = NOW
    decision: Decision = RetryAt(NOW)
    for number, result in enumerate(results, start=1):
        decision = next_attempt(number, result, now, rng, first_attempted_at=NOW)
        if isinstance(decision, GiveUp):
            break
        assert isinstance(decision, RetryAt)
        assert decision.at >= now
        if number <= len(RETRY_STEPS):
            assert decision.at - now <= max(RETRY_STEPS[number - 1], MAX_RETRY_AFTER)
        now = decision.at
    assert decision == GiveUp(disable_subscription=False)
    assert now - NOW >= RETRY_WINDOW
