"""The account gauges report every band, segment and decile; the freshness gauge only
moves forward, and only for events (not CSM commands)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from pulse.common.events import Event
from pulse.common.kafka.freshness import NewestCommitted
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.health.keeping.account_gauges import gauge_values, record_account_counts
from pulse.health.keeping.freshness import event_time, record_newest_event
from pulse.health.messages import Incoming, SetCsmSentiment
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


def record(value: Incoming) -> Record[Incoming]:
    message = ConsumedMessage("pulse.events.usage", 0, 0, b"acme", b"{}", 0, ())
    return Record(message, value)


def test_the_newest_event_gauge_ignores_commands_and_late_events(
    event: Callable[..., Event], now: datetime
) -> None:
    early = event("usage.activity", now - timedelta(hours=2), user_id="u1", feature="f")
    late = event("usage.activity", now - timedelta(days=3), user_id="u1", feature="f")
    assert (event_time(early), event_time(command(now))) == (now - timedelta(hours=2), None)

    newest = NewestCommitted[Incoming]("pulse-health-test", event_time, record_newest_event)
    newest.committed([record(early), record(command(now))])
    newest.committed([record(late), record(command(now + timedelta(hours=1)))])
    gauge = REGISTRY.get_sample_value("pulse_health_newest_event_timestamp_seconds")
    assert gauge == (now - timedelta(hours=2)).timestamp()
