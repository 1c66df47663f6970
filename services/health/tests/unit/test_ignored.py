"""Inputs consumed but not scored: why each is ignored, and a log line per minute at most."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from pulse.common.events import Event
from pulse.health.keeping.ignored import IgnoredInputs, read_by, why_refused
from pulse.health.messages import SetCsmSentiment
from pulse.health.metrics import EVENTS_IGNORED
from pulse.health.scoring.model import default_model
from pulse.health.scoring.state import AccountState

DAY = timedelta(days=1)


def test_an_event_40_days_old_is_too_late(event: Callable[..., Event], now: datetime) -> None:
    state = AccountState()
    old = event("support.ticket.opened", now - 40 * DAY, ticket_id="t1")
    assert not state.apply(old, now)
    assert why_refused(old, state, now) == "too_late"


def test_a_29_day_old_event_counts(event: Callable[..., Event], now: datetime) -> None:
    assert AccountState().apply(event("support.ticket.opened", now - 29 * DAY, ticket_id="t1"), now)


def test_lateness_runs_from_the_latest_event_seen(
    event: Callable[..., Event], now: datetime
) -> None:
    """The account's clock is the later of now and its latest event time."""
    state = AccountState()
    assert state.apply(event("usage.activity", now + timedelta(hours=20), user_id="u"), now)
    late = event("usage.activity", now - 30 * DAY, user_id="u")
    assert not state.apply(late, now)
    assert why_refused(late, state, now) == "too_late"


def test_an_older_profile_or_sentiment_changes_nothing(
    event: Callable[..., Event], now: datetime
) -> None:
    state = AccountState()
    assert state.apply(event("account.updated", now, segment="high_touch"), now)
    older = event("account.updated", now - DAY, segment="low_touch")
    assert not state.apply(older, now)
    assert why_refused(older, state, now) == "no_change"
    assert state.set_csm_sentiment("red", None, now)
    stale = SetCsmSentiment("c2", "acme", "green", None, now - DAY)
    assert not state.set_csm_sentiment(stale.value, stale.note, stale.at)
    assert why_refused(stale, state, now) == "no_change"


def test_a_metric_past_the_names_limit_is_over_limit(
    event: Callable[..., Event], now: datetime
) -> None:
    state = AccountState()
    for i in range(32):
        assert state.apply(event("metric.recorded", now, name=f"m{i}", value=1), now)
    extra = event("metric.recorded", now, name="m32", value=1)
    assert not state.apply(extra, now)
    assert why_refused(extra, state, now) == "over_limit"


def test_the_default_model_reads_every_type_but_two() -> None:
    read = read_by(default_model())
    assert "support.ticket.opened" in read
    assert "csm_sentiment" in read
    assert "metric.recorded" not in read
    assert "outage.resolved" not in read


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sample(event_type: str, reason: str) -> float:
    value = EVENTS_IGNORED.labels(event_type, reason)._value.get()
    return float(value)


def test_counts_go_to_the_metric_and_a_line_a_minute_to_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    ignored = IgnoredInputs(every_s=60, clock=clock)
    before = sample("usage.activity", "too_late")
    example = {"type": "usage.activity", "account_id": "acme", "id": "e1", "at": "x"}
    with caplog.at_level(logging.INFO, logger="pulse.health.keeping.ignored"):
        ignored.add(Counter({("usage.activity", "too_late"): 2}), {"too_late": example})
        clock.now += 30
        ignored.add(Counter({("usage.activity", "too_late"): 3}), {"too_late": example})
        ignored.add(Counter({("metric.recorded", "not_in_model"): 1}), {})
        clock.now += 30
        ignored.add(Counter({("usage.activity", "too_late"): 1}), {})
    assert sample("usage.activity", "too_late") - before == 6
    lines = [r for r in caplog.records if r.name == "pulse.health.keeping.ignored"]
    assert [r.levelno for r in lines] == [logging.WARNING, logging.WARNING]
    assert [r.__dict__["ignored"] for r in lines] == [
        {"usage.activity/too_late": 2},
        {"metric.recorded/not_in_model": 1, "usage.activity/too_late": 4},
    ]
    assert lines[1].__dict__["since_s"] == 60.0
