"""The account gauges report every band, segment and decile; the freshness gauge only
moves forward, and only for events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from pulse.common.events import Event
from pulse.health.keeping.account_gauges import gauge_values, record_account_counts
from pulse.health.keeping.freshness import NewestEvent, newest_occurred_at
from pulse.health.messages import SetCsmSentiment
from pulse.health.storage.account_counts import AccountCounts


def test_every_band_segment_and_decile_is_reported_zeros_included() -> None:
    counts = AccountCounts(
        by_band_segment={("green", "high_touch"): 3, ("red", "tech_touch"): 1},
        by_decile={90: 3, 20: 1},
    )
    by_band_segment, by_decile = gauge_values(counts)
    assert len(by_band_segment) == 9  # 3 bands x 3 segments
    assert by_band_segment["green", "high_touch"] == 3
    assert by_band_segment["red", "tech_touch"] == 1
    assert by_band_segment["yellow", "low_touch"] == 0
    assert by_decile == {
        "0": 0, "10": 0, "20": 1, "30": 0, "40": 0, "50": 0, "60": 0, "70": 0, "80": 0, "90": 3,
    }  # fmt: skip


def test_an_emptied_bucket_reads_zero_after_the_next_count() -> None:
    record_account_counts(AccountCounts({("red", "low_touch"): 5}, {10: 5}))
    record_account_counts(AccountCounts({("green", "low_touch"): 5}, {80: 5}))
    accounts = "pulse_health_accounts"
    assert REGISTRY.get_sample_value(accounts, {"band": "red", "segment": "low_touch"}) == 0
    assert REGISTRY.get_sample_value(accounts, {"band": "green", "segment": "low_touch"}) == 5
    by_score = "pulse_health_accounts_by_score"
    assert REGISTRY.get_sample_value(by_score, {"score_from": "10"}) == 0
    assert REGISTRY.get_sample_value(by_score, {"score_from": "80"}) == 5


def command(at: datetime) -> SetCsmSentiment:
    return SetCsmSentiment(id="c1", account_id="acme", value="red", note=None, at=at)


def test_the_newest_event_ignores_commands_and_late_events(
    event: Callable[..., Event], now: datetime
) -> None:
    early = event("usage.activity", now - timedelta(hours=2), user_id="u1", feature="f")
    late = event("usage.activity", now - timedelta(days=3), user_id="u1", feature="f")
    assert newest_occurred_at([late, early, command(now)]) == now - timedelta(hours=2)
    assert newest_occurred_at([command(now)]) is None

    newest = NewestEvent()
    newest.saw([early])
    newest.saw([late, command(now)])  # older, and a command: the gauge stays
    gauge = REGISTRY.get_sample_value("pulse_health_newest_event_timestamp_seconds")
    assert newest.at == now - timedelta(hours=2)
    assert gauge == (now - timedelta(hours=2)).timestamp()
