"""Warning about and disabling subscriptions that only fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.alerts.webhooks.disable_policy import (
    DISABLE_AFTER,
    MIN_FAILING_SPAN,
    WARN_AFTER,
    FailureStreak,
    Verdict,
    record_attempt,
    subscription_verdict,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("failing_for", "span", "verdict"),
    [
        (DAY, DAY, "ok"),
        (3 * DAY - HOUR, 3 * DAY - HOUR, "ok"),
        (3 * DAY, 3 * DAY, "warn"),
        (5 * DAY - HOUR, 5 * DAY - HOUR, "warn"),
        (5 * DAY, 5 * DAY, "disable"),
        (5 * DAY, 12 * HOUR, "disable"),
        # Five days since the first failure, but the failures were one burst: only warned.
        (5 * DAY, 12 * HOUR - timedelta(seconds=1), "warn"),
        (30 * DAY, timedelta(0), "warn"),
    ],
)
def test_verdicts(failing_for: timedelta, span: timedelta, verdict: Verdict) -> None:
    streak = FailureStreak(T0, T0 + span)
    assert subscription_verdict(streak, T0 + failing_for) == verdict


def test_no_streak_is_ok() -> None:
    assert subscription_verdict(None, T0 + 100 * DAY) == "ok"


def test_a_success_ends_the_streak_and_failures_extend_it() -> None:
    streak = record_attempt(None, T0, succeeded=False)
    assert streak == FailureStreak(T0, T0)
    streak = record_attempt(streak, T0 + DAY, succeeded=False)
    assert streak == FailureStreak(T0, T0 + DAY)
    # An attempt recorded out of order does not move the last failure back.
    assert record_attempt(streak, T0 + HOUR, succeeded=False) == FailureStreak(T0, T0 + DAY)
    assert record_attempt(streak, T0 + 2 * DAY, succeeded=True) is None


def test_a_streak_runs_forward() -> None:
    with pytest.raises(ValueError, match="cannot precede"):
        FailureStreak(T0, T0 - HOUR)


@given(
    gaps=st.lists(st.timedeltas(min_value=timedelta(0), max_value=2 * DAY), min_size=1),
    outcomes=st.lists(st.booleans(), min_size=1),
    later=st.timedeltas(min_value=timedelta(0), max_value=10 * DAY),
)
def test_disable_only_after_five_days_of_nothing_but_failures(
    gaps: list[timedelta], outcomes: list[bool], later: timedelta
) -> None:
    """Folding any history of attempts: disabled exactly when every attempt of the last
    DISABLE_AFTER or more failed and those failures span MIN_FAILING_SPAN."""
    streak: FailureStreak | None = None
    at = T0
    history: list[tuple[datetime, bool]] = []
    for gap, succeeded in zip(gaps, outcomes, strict=False):
        at += gap
        history.append((at, succeeded))
        streak = record_attempt(streak, at, succeeded)
    now = at + later
    verdict = subscription_verdict(streak, now)

    last_success = max((i for i, (_, ok) in enumerate(history) if ok), default=-1)
    since_success = [when for when, _ in history[last_success + 1 :]]
    failing_for = now - min(since_success) if since_success else timedelta(0)
    span = max(since_success) - min(since_success) if since_success else timedelta(0)
    expected: Verdict = "ok"
    if since_success and failing_for >= DISABLE_AFTER and span >= MIN_FAILING_SPAN:
        expected = "disable"
    elif since_success and failing_for >= WARN_AFTER:
        expected = "warn"
    assert verdict == expected
