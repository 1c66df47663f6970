"""Stripe adapter: the Stripe-Signature header (HMAC-SHA256 v1, freshness, malformed)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from pulse.ingest.sources.base import SignatureError, SourceRequest
from pulse.ingest.sources.stripe.adapter import StripeAdapter

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SECRET = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
ADAPTER = StripeAdapter()


BODY = b'{"id":"evt_1","type":"invoice.paid"}'


def signed(body: bytes, secret: str, at: datetime) -> str:
    t = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(header: str | None, body: bytes = BODY, tolerance_s: int = 300) -> None:
    headers = {} if header is None else {"stripe-signature": header}
    ADAPTER.verify(SourceRequest(headers, body, NOW, SECRET, tolerance_s))


def test_a_valid_signature_passes() -> None:
    verify(signed(BODY, SECRET, NOW))
    verify(signed(BODY, SECRET, NOW - timedelta(seconds=300)))
    verify(signed(BODY, SECRET, NOW + timedelta(seconds=300)))


def test_any_v1_signature_may_match_while_secrets_are_rolled() -> None:
    t = int(NOW.timestamp())
    old = signed(BODY, "whsec_old_secret", NOW).partition(",v1=")[2]
    new = signed(BODY, SECRET, NOW).partition(",v1=")[2]
    v0 = "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"

    verify(f"t={t},v1={old},v1={new},v0={v0}")
    verify(f"t={t}, v1={new}, v1={old}")


def test_a_signature_with_another_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="none of its 1 v1 signature"):
        verify(signed(BODY, "whsec_someone_else", NOW))


def test_a_changed_body_is_refused() -> None:
    with pytest.raises(SignatureError, match="matches the timestamp, the body"):
        verify(signed(BODY, SECRET, NOW), body=BODY + b" ")


def test_a_stale_signature_is_refused_saying_how_old() -> None:
    with pytest.raises(SignatureError) as caught:
        verify(signed(BODY, SECRET, NOW - timedelta(seconds=301)))
    assert "stale Stripe-Signature: signed 301 s ago" in str(caught.value)
    assert "more than the 300 s accepted" in str(caught.value)


def test_the_tolerance_is_configurable() -> None:
    verify(signed(BODY, SECRET, NOW - timedelta(seconds=900)), tolerance_s=1000)
    with pytest.raises(SignatureError, match="signed 61 s ago"):
        verify(signed(BODY, SECRET, NOW - timedelta(seconds=61)), tolerance_s=60)


def test_a_signature_from_the_future_is_refused() -> None:
    with pytest.raises(SignatureError, match="from the future: signed 301 s after now"):
        verify(signed(BODY, SECRET, NOW + timedelta(seconds=301)))


def test_a_missing_signature_header_is_refused() -> None:
    with pytest.raises(SignatureError, match="missing Stripe-Signature header"):
        verify(None)
    with pytest.raises(SignatureError, match="missing Stripe-Signature header"):
        verify("  ")


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("garbage", "'garbage' is not scheme=value"),
        ("v1=" + "a" * 64, "expected one t=<unix seconds>"),
        ("t=yesterday,v1=" + "a" * 64, "expected one t=<unix seconds>"),
        ("t=1,t=2,v1=" + "a" * 64, "expected one t=<unix seconds>"),
        ("t=1763640000,v1=", "'v1=' is not scheme=value"),
        ("t=1763640000,v1=abc", "v1='abc' is not 64 hex digits"),
        ("t=1763640000,v1=" + "g" * 64, "is not 64 hex digits"),
    ],
)
def test_a_malformed_signature_header_is_refused(header: str, why: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(header)
    assert str(caught.value).startswith("malformed Stripe-Signature")
    assert why in str(caught.value)


def test_a_header_without_v1_is_refused() -> None:
    with pytest.raises(SignatureError, match="has no v1 signature"):
        verify(f"t={int(NOW.timestamp())},v0={'a' * 64}")
