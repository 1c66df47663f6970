"""Segment adapter: track → usage.activity, group → account.updated, users learned to accounts."""

from __future__ import annotations

import copy
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from pulse.common.events import AccountUpdated, Event, UsageActivity, validate_event
from pulse.ingest.sources.base import (
    Normalised,
    PayloadError,
    Reference,
    SignatureError,
    SourceAdapter,
    SourceContext,
    SourceRequest,
)
from pulse.ingest.sources.segment import SegmentAdapter

FIXTURES = Path(__file__).parents[1] / "fixtures" / "segment"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SECRET = "segment-shared-secret"
ADAPTER: SourceAdapter = SegmentAdapter()


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return loaded


def normalise(payload: Any, known: Mapping[Reference, str] | None = None) -> Normalised:
    return ADAPTER.normalise(payload, SourceContext(now=NOW, known=known or {}))


def valid(outcome: Normalised) -> list[Event]:
    """Every envelope produced, validated as /v1/events would."""
    return [validate_event(raw, now=NOW) for raw in outcome.events]


def user(user_id: str) -> Reference:
    return Reference("segment", "user", user_id)


def group(group_id: str) -> Reference:
    return Reference("segment", "group", group_id)


def without_group_id(message: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(message)
    del changed["context"]["groupId"]
    return changed


def test_track_becomes_usage_activity_of_its_context_group_id() -> None:
    outcome = normalise(fixture("track.json"))

    [event] = valid(outcome)
    assert isinstance(event, UsageActivity)
    assert event.id == "segment:ajs-2f1d6c8e9b7a4c3d8e5f6a7b8c9d0e1f"
    assert event.account_id == "acme-corp"
    assert event.source == "segment"
    assert event.occurred_at == datetime(2026, 11, 20, 9, 59, 58, 127000, tzinfo=UTC)
    assert event.data.user_id == "u-1001"
    assert event.data.feature == "Report Exported"
    assert event.data.quantity == 3.0
    assert (outcome.unmapped, outcome.ignored, outcome.learned) == ([], [], {})


def test_track_group_id_mapped_by_reference_uses_the_mapped_account() -> None:
    outcome = normalise(fixture("track.json"), known={group("acme-corp"): "acme"})

    assert [e.account_id for e in valid(outcome)] == ["acme"]


def test_track_without_group_id_uses_the_account_of_its_user() -> None:
    outcome = normalise(without_group_id(fixture("track.json")), known={user("u-1001"): "acme"})

    assert [e.account_id for e in valid(outcome)] == ["acme"]


def test_track_of_an_unknown_user_is_unmapped_with_what_to_do() -> None:
    outcome = normalise(without_group_id(fixture("track.json")))

    assert outcome.events == []
    [unmapped] = outcome.unmapped
    assert unmapped.path == "userId"
    assert unmapped.vendor_id == "ajs-2f1d6c8e9b7a4c3d8e5f6a7b8c9d0e1f"
    assert "send a group call" in unmapped.reason
    assert "context.groupId" in unmapped.reason
    assert "PUT /v1/sources/segment/references/user/u-1001" in unmapped.reason


def test_track_of_an_anonymous_user_counts_the_anonymous_id() -> None:
    message = fixture("track.json")
    del message["userId"]

    [event] = valid(normalise(message))
    assert isinstance(event, UsageActivity)
    assert event.data.user_id == "5b3c9a1e-7d42-4f0b-9c1a-2e8f6d4b7a90"
    assert event.account_id == "acme-corp"


@pytest.mark.parametrize(
    ("properties", "quantity"),
    [
        ({"quantity": 3}, 3.0),
        ({"quantity": 0.5}, 0.5),
        ({"quantity": 0}, 0.0),
        ({"quantity": -2}, 1.0),
        ({"quantity": "4"}, 1.0),
        ({"quantity": True}, 1.0),
        ({}, 1.0),
    ],
)
def test_quantity_is_a_non_negative_number_or_one(
    properties: dict[str, Any], quantity: float
) -> None:
    message = fixture("track.json")
    message["properties"] = properties

    [event] = valid(normalise(message))
    assert isinstance(event, UsageActivity)
    assert event.data.quantity == quantity


def test_occurred_at_falls_back_to_the_original_timestamp() -> None:
    message = fixture("track.json")
    del message["timestamp"]

    [event] = valid(normalise(message))
    assert event.occurred_at == datetime(2026, 11, 20, 9, 59, 58, 86000, tzinfo=UTC)


def test_identify_with_context_group_id_teaches_the_user_account_and_makes_no_event() -> None:
    outcome = normalise(fixture("identify.json"))

    assert (outcome.events, outcome.ignored, outcome.unmapped) == ([], [], [])
    assert outcome.learned == {user("u-2002"): "globex"}


def test_identify_follows_a_mapped_group() -> None:
    outcome = normalise(fixture("identify.json"), known={group("globex"): "globex-inc"})

    assert outcome.learned == {user("u-2002"): "globex-inc"}


@pytest.mark.parametrize(
    ("traits", "account"),
    [
        ({"account_id": "umbrella"}, "umbrella"),
        ({"company": {"id": "umbrella-co", "name": "Umbrella"}}, "umbrella-co"),
    ],
)
def test_identify_traits_name_the_account(traits: dict[str, Any], account: str) -> None:
    message = fixture("identify.json")
    del message["context"]["groupId"]
    message["traits"] = traits

    assert normalise(message).learned == {user("u-2002"): account}


def test_identify_naming_no_account_is_ignored() -> None:
    message = fixture("identify.json")
    del message["context"]["groupId"]

    outcome = normalise(message)
    assert outcome.learned == {}
    [ignored] = outcome.ignored
    assert ignored.path == "type"
    assert "traits.account_id, context.groupId or traits.company.id" in ignored.reason


def test_identify_learning_already_known_mapping_learns_nothing_new() -> None:
    outcome = normalise(fixture("identify.json"), known={user("u-2002"): "globex"})

    assert outcome.learned == {}


def test_group_teaches_group_and_user_and_updates_the_account_from_known_traits() -> None:
    outcome = normalise(fixture("group.json"))

    assert outcome.learned == {
        group("0e8c78ea9d97a7b8185e8632"): "0e8c78ea9d97a7b8185e8632",
        user("u-3003"): "0e8c78ea9d97a7b8185e8632",
    }
    [event] = valid(outcome)
    assert isinstance(event, AccountUpdated)
    assert event.id == "segment:node-0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
    assert event.account_id == "0e8c78ea9d97a7b8185e8632"
    # employees and "total billed" are not Pulse fields; mrr 2500 → arr 30000; seats → seats
    assert event.data.model_dump(exclude_none=True) == {
        "name": "Initech",
        "industry": "Technology",
        "plan": "enterprise",
        "arr": Decimal("30000"),
        "licensed_seats": 40,
    }


def test_group_account_id_trait_wins_over_the_group_id() -> None:
    message = fixture("group.json")
    message["traits"]["account_id"] = "initech"

    outcome = normalise(message, known={group("0e8c78ea9d97a7b8185e8632"): "old-initech"})

    assert [e.account_id for e in valid(outcome)] == ["initech"]
    assert outcome.learned == {
        group("0e8c78ea9d97a7b8185e8632"): "initech",
        user("u-3003"): "initech",
    }


def test_group_follows_a_mapped_group_when_no_account_id_trait() -> None:
    outcome = normalise(fixture("group.json"), known={group("0e8c78ea9d97a7b8185e8632"): "initech"})

    assert [e.account_id for e in valid(outcome)] == ["initech"]
    assert outcome.learned == {user("u-3003"): "initech"}


def test_group_arr_wins_over_mrr_and_licensed_seats_over_seats() -> None:
    message = fixture("group.json")
    message["traits"].update({"arr": "12000.50", "currency": "eur", "licensed_seats": 35.0})

    [event] = valid(normalise(message))
    assert isinstance(event, AccountUpdated)
    assert event.data.arr == Decimal("12000.50")
    assert event.data.currency == "EUR"
    assert event.data.licensed_seats == 35


def test_group_without_known_traits_teaches_but_makes_no_event() -> None:
    message = fixture("group.json")
    message["traits"] = {"employees": 329, "total billed": 830}

    outcome = normalise(message)
    assert outcome.events == []
    assert user("u-3003") in outcome.learned


def test_group_id_that_is_no_account_id_is_unmapped() -> None:
    message = fixture("group.json")
    message["groupId"] = "Initech Corp"

    outcome = normalise(message)
    assert (outcome.events, outcome.learned) == ([], {})
    [unmapped] = outcome.unmapped
    assert unmapped.path == "groupId"
    assert "traits.account_id" in unmapped.reason
    assert "PUT /v1/sources/segment/references/group/Initech Corp" in unmapped.reason


def test_batch_uses_references_learned_earlier_in_the_same_batch() -> None:
    outcome = normalise(fixture("batch.json"))

    events = valid(outcome)
    assert [(e.id, e.type, e.account_id) for e in events] == [
        ("segment:batch-0002", "account.updated", "hooli"),
        ("segment:batch-0003", "usage.activity", "hooli"),
        ("segment:batch-0007", "usage.activity", "hooli"),
    ]
    assert outcome.learned == {
        group("grp-881"): "hooli",
        user("u-4004"): "hooli",
        user("u-5005"): "hooli",
    }
    # the track calls before the group and identify calls had no account yet
    assert [(u.path, u.vendor_id) for u in outcome.unmapped] == [
        ("batch.0.userId", "batch-0001"),
        ("batch.4.userId", "batch-0005"),
    ]
    assert [i.path for i in outcome.ignored] == ["batch.3.type"]


def test_a_bare_array_is_read_as_a_batch() -> None:
    items = [fixture("track.json"), fixture("page.json")]

    outcome = normalise(items)
    assert [e["account_id"] for e in outcome.events] == ["acme-corp"]
    assert [i.path for i in outcome.ignored] == ["batch.1.type"]


@pytest.mark.parametrize("call", ["page", "screen", "alias", "mystery"])
def test_calls_pulse_does_not_read_are_ignored(call: str) -> None:
    message = fixture("page.json")
    message["type"] = call

    outcome = normalise(message)
    assert (outcome.events, outcome.unmapped, outcome.learned) == ([], [], {})
    [ignored] = outcome.ignored
    assert ignored.path == "type"
    assert ignored.reason.endswith("Pulse reads track, identify and group calls")


def _without(name: str, *fields: str) -> dict[str, Any]:
    message = fixture(name)
    for field in fields:
        del message[field]
    return message


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ("a string", ""),
        ({"batch": {"type": "track"}}, "batch"),
        ({"batch": [fixture("track.json"), 42]}, "batch.1"),
        (_without("track.json", "type"), "type"),
        (_without("track.json", "event"), "event"),
        (_without("track.json", "messageId"), "messageId"),
        (_without("track.json", "userId", "anonymousId"), "userId"),
        (
            _without("track.json", "timestamp", "originalTimestamp", "sentAt", "receivedAt"),
            "timestamp",
        ),
        ({**fixture("track.json"), "context": "web"}, "context"),
        ({**fixture("track.json"), "properties": [1]}, "properties"),
        (_without("group.json", "groupId"), "groupId"),
        ({"batch": [fixture("track.json"), _without("track.json", "event")]}, "batch.1.event"),
    ],
)
def test_malformed_payloads_name_the_path(payload: Any, path: str) -> None:
    with pytest.raises(PayloadError) as raised:
        normalise(payload)
    assert raised.value.path == path


def test_references_needed_are_groups_and_users_named_by_the_messages() -> None:
    assert ADAPTER.references_needed(fixture("track.json")) == {
        group("acme-corp"),
        user("u-1001"),
    }
    assert ADAPTER.references_needed(fixture("batch.json")) == {
        group("grp-881"),
        user("u-4004"),
        user("u-5005"),
    }


# --- signatures -------------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"x-signature": hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


BODY = (FIXTURES / "track.json").read_bytes()


def verify(headers: Mapping[str, str], body: bytes = BODY) -> None:
    ADAPTER.verify(SourceRequest(headers, body, NOW, SECRET))


def test_a_body_signed_with_the_shared_secret_is_accepted() -> None:
    verify(signed(BODY))
    upper = {"x-signature": signed(BODY)["x-signature"].upper()}
    verify(upper)


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed(BODY), BODY.replace(b"u-1001", b"u-1002"))


def test_another_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed(BODY, "other"))


def test_a_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="missing X-Signature"):
        verify({})


@pytest.mark.parametrize("value", ["abc", "z" * 40, hashlib.sha256(b"x").hexdigest()])
def test_a_malformed_signature_is_refused(value: str) -> None:
    with pytest.raises(SignatureError, match="malformed X-Signature"):
        verify({"x-signature": value})
