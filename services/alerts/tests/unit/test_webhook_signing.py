"""Our signatures against the Standard Webhooks reference library, rotation included."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import WebhookVerificationError

from pulse.alerts.webhooks.message_ids import message_id
from pulse.alerts.webhooks.rotation import SubscriptionSecrets, rotate, signing_secrets
from pulse.alerts.webhooks.secret_keys import InvalidSecret, generate_secret, signing_key
from pulse.alerts.webhooks.signing import signature, signature_headers

from .webhook_receiver import verify

T0 = 1_790_000_000
OLD = generate_secret(random.Random(1).randbytes)
NEW = generate_secret(random.Random(2).randbytes)
BODY = b'{"type":"alert.fired","data":{"account":"a-1"}}'
MSG = message_id("sub_1", "event-42")


def at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


def test_a_known_signature() -> None:
    """The specification's own example: the library and our code agree on it byte for byte."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_generated_secrets_are_prefixed_base64_of_the_random_bytes() -> None:
    secret = generate_secret(lambda n: bytes(range(n)))
    assert secret.startswith("whsec_")
    assert signing_key(secret) == bytes(range(32))
    assert base64.b64decode(secret.removeprefix("whsec_")) == bytes(range(32))


@pytest.mark.parametrize("length", [0, 16, 23, 65])
def test_short_or_long_keys_are_refused(length: int) -> None:
    with pytest.raises(InvalidSecret, match="24-64 bytes"):
        generate_secret(lambda n: bytes(n), length)
    with pytest.raises(InvalidSecret, match="24-64 bytes"):
        signing_key("whsec_" + base64.b64encode(bytes(length)).decode())


def test_a_short_random_read_is_refused() -> None:
    with pytest.raises(InvalidSecret, match="got 8"):
        generate_secret(lambda n: bytes(8))


@pytest.mark.parametrize(
    ("secret", "message"),
    [("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with"), ("whsec_not*base64", "base64")],
)
def test_malformed_secrets_are_refused(secret: str, message: str) -> None:
    with pytest.raises(InvalidSecret, match=message):
        signing_key(secret)


def test_the_library_accepts_our_signature_and_rejects_tampering() -> None:
    headers = signature_headers([NEW], MSG, T0, BODY)
    verify(NEW, BODY, headers, T0)
    with pytest.raises(WebhookVerificationError):
        verify(NEW, BODY + b" ", headers, T0)
    with pytest.raises(WebhookVerificationError):
        verify(NEW, BODY, {**headers, "webhook-timestamp": str(T0 + 1)}, T0)
    with pytest.raises(WebhookVerificationError):
        verify(NEW, BODY, {**headers, "webhook-id": MSG + "x"}, T0)
    with pytest.raises(WebhookVerificationError):
        verify(OLD, BODY, headers, T0)


def test_a_stale_attempt_is_rejected_by_the_receiver() -> None:
    """Why each attempt is signed afresh: the timestamp is checked against the receiver's clock."""
    headers = signature_headers([NEW], MSG, T0, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(NEW, BODY, headers, T0 + 3600)


def test_verification_across_a_rotation() -> None:
    """Before: the old secret only. During the overlap: both, new first. After: the new only."""
    rotated_at = at(T0)
    before = SubscriptionSecrets(current=OLD)
    during = rotate(before, NEW, rotated_at)

    def headers_at(secrets: SubscriptionSecrets, when: int) -> dict[str, str]:
        return signature_headers(signing_secrets(secrets, at(when)), MSG, when, BODY)

    sent_before = headers_at(before, T0 - 60)
    verify(OLD, BODY, sent_before, T0 - 60)
    with pytest.raises(WebhookVerificationError):
        verify(NEW, BODY, sent_before, T0 - 60)

    sent_during = headers_at(during, T0 + 3600)
    assert sent_during["webhook-signature"].count("v1,") == 2
    assert sent_during["webhook-signature"].split(" ")[0] == signature(NEW, MSG, T0 + 3600, BODY)
    verify(OLD, BODY, sent_during, T0 + 3600)
    verify(NEW, BODY, sent_during, T0 + 3600)

    after = T0 + 24 * 3600
    sent_after = headers_at(during, after)
    verify(NEW, BODY, sent_after, after)
    with pytest.raises(WebhookVerificationError):
        verify(OLD, BODY, sent_after, after)


def test_signing_secrets_window_edges() -> None:
    rotated = rotate(SubscriptionSecrets(current=OLD), NEW, at(T0))
    assert signing_secrets(rotated, at(T0)) == (NEW, OLD)
    assert signing_secrets(rotated, at(T0) + timedelta(hours=24) - timedelta(seconds=1)) == (
        NEW,
        OLD,
    )
    assert signing_secrets(rotated, at(T0) + timedelta(hours=24)) == (NEW,)
    no_overlap = rotate(SubscriptionSecrets(current=OLD, overlap=timedelta(0)), NEW, at(T0))
    assert signing_secrets(no_overlap, at(T0)) == (NEW,)
    week = rotate(SubscriptionSecrets(current=OLD, overlap=timedelta(days=7)), NEW, at(T0))
    assert signing_secrets(week, at(T0) + timedelta(days=6)) == (NEW, OLD)


def test_rotating_twice_keeps_only_the_latest_old_secret() -> None:
    third = generate_secret(random.Random(3).randbytes)
    twice = rotate(rotate(SubscriptionSecrets(current=OLD), NEW, at(T0)), third, at(T0 + 60))
    assert signing_secrets(twice, at(T0 + 120)) == (third, NEW)


@pytest.mark.parametrize("overlap", [timedelta(seconds=-1), timedelta(days=7, seconds=1)])
def test_overlap_is_zero_to_seven_days(overlap: timedelta) -> None:
    with pytest.raises(ValueError, match="0 to 7 days"):
        SubscriptionSecrets(current=OLD, overlap=overlap)


def test_headers_need_a_secret_and_a_dotless_id() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        signature_headers([], MSG, T0, BODY)
    with pytest.raises(ValueError, match="has no"):
        signature_headers([NEW], "msg.1", T0, BODY)


def test_message_ids_are_stable_per_message_and_subscription() -> None:
    assert message_id("sub_1", "event-42") == message_id("sub_1", "event-42")
    assert message_id("sub_1", "event-42") != message_id("sub_1", "event-43")
    assert message_id("sub_1", "event-42") != message_id("sub_2", "event-42")
    assert message_id("sub_1", "event-42").startswith("msg_")


secrets_st = st.builds(
    generate_secret, st.randoms(use_true_random=False).map(lambda r: r.randbytes)
)
ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters=". ,"), min_size=1, max_size=40
)


@given(
    secret=secrets_st,
    other=secrets_st,
    body=st.binary(max_size=300).map(lambda b: b.decode("latin-1").encode()),
    msg=ids,
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    rotating=st.booleans(),
)
def test_the_library_verifies_any_message(
    secret: str, other: str, body: bytes, msg: str, timestamp: int, rotating: bool
) -> None:
    secrets = [secret, other] if rotating else [secret]
    headers = signature_headers(secrets, msg, timestamp, body)
    for each in secrets:
        verify(each, body, headers, timestamp)
    with pytest.raises(WebhookVerificationError):
        verify(secret, body + b"!", headers, timestamp)
