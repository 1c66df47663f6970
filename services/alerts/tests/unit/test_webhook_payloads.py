"""What a webhook says and who gets it: the body bytes, subscription filters, the failing
endpoint warning, and what a redelivery by hand decides."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.delivery.decisions import NextState, after_attempt
from pulse.alerts.delivery.payloads import (
    FailingEndpoint,
    SubscriptionFilter,
    endpoint_failing_body,
    endpoint_failing_key,
    message_body,
)
from pulse.alerts.webhooks.outcomes import Response, TransportFailure

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_the_body_carries_type_a_utc_z_timestamp_and_the_data() -> None:
    paris = timezone(timedelta(hours=1))
    body = message_body("alert.opened", datetime(2026, 12, 1, 10, 30, 0, 250000, paris), {"a": 1})
    assert (
        body == b'{"type":"alert.opened","timestamp":"2026-12-01T09:30:00.250000Z","data":{"a":1}}'
    )


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        message_body("alert.opened", datetime(2026, 12, 1), {})


@pytest.mark.parametrize(
    ("message", "wanted"),
    [
        (("alert.opened", "acme", "high_touch"), True),
        (("alert.resolved", "acme", "high_touch"), False),
        (("alert.opened", "globex", "high_touch"), False),
        (("alert.opened", "acme", "tech_touch"), False),
        (("alert.opened", "acme", None), False),
    ],
)
def test_filters_need_type_account_and_segment(
    message: tuple[str, str, str | None], wanted: bool
) -> None:
    narrow = SubscriptionFilter(["alert.opened"], ["acme"], ["high_touch"])
    assert narrow.wants(*message) is wanted
    assert SubscriptionFilter(["alert.opened"], None, None).wants("alert.opened", "x", None)


def test_one_warning_per_subscription_state_and_streak() -> None:
    warned = FailingEndpoint("wh_1", "https://x.test/h", "warned", "failing", T0)
    disabled = FailingEndpoint("wh_1", "https://x.test/h", "disabled", "failing", T0)
    later = FailingEndpoint("wh_1", "https://x.test/h", "warned", "failing", T0 + timedelta(days=9))
    keys = {endpoint_failing_key(e) for e in (warned, disabled, later, warned)}
    assert len(keys) == 3
    body = orjson.loads(endpoint_failing_body(warned, T0))
    assert body == {
        "type": "webhook.endpoint_failing",
        "timestamp": "2026-12-01T09:30:00Z",
        "data": {
            "subscription_id": "wh_1",
            "url": "https://x.test/h",
            "state": "warned",
            "reason": "failing",
            "failing_since": "2026-12-01T09:30:00Z",
        },
    }


def test_the_schedule_decides_an_ordinary_attempt() -> None:
    rng = random.Random(7).random
    retry = after_attempt(1, Response(500), T0, rng, first_attempted_at=T0, single_attempt=False)
    assert retry.state == "pending"
    assert retry.next_attempt_at is not None
    assert T0 <= retry.next_attempt_at <= T0 + timedelta(seconds=5)
    gave_up = after_attempt(11, Response(500), T0, rng, first_attempted_at=T0, single_attempt=False)
    assert gave_up == NextState("failed")
    gone = after_attempt(2, Response(410), T0, rng, first_attempted_at=T0, single_attempt=False)
    assert gone == NextState("failed", gone=True)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (Response(204), NextState("delivered")),
        (Response(500), NextState("failed")),
        (TransportFailure.TIMEOUT, NextState("failed")),
        (Response(410), NextState("failed", gone=True)),
    ],
)
def test_a_redelivery_by_hand_is_one_attempt(
    result: Response | TransportFailure, expected: NextState
) -> None:
    decided = after_attempt(
        1, result, T0, random.Random(1).random, first_attempted_at=T0, single_attempt=True
    )
    assert decided == expected


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PULSE_WEBHOOK_ROTATION_OVERLAP_S", "3600")
    settings = WebhookSettings()
    assert settings.allow_private is True
    assert settings.rotation_overlap == timedelta(hours=1)
    assert (settings.attempt_timeout_s, settings.per_subscription_concurrency) == (10.0, 16)
    monkeypatch.setenv("PULSE_WEBHOOK_ROTATION_OVERLAP_S", str(8 * 86400))
    with pytest.raises(ValueError, match="rotation_overlap_s"):
        WebhookSettings()
