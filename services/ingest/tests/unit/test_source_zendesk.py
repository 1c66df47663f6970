"""Zendesk adapter: created tickets → support.ticket.opened, solved → support.ticket.resolved."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from pulse.common.events import (
    Event,
    SupportTicketOpened,
    SupportTicketResolved,
    validate_event,
)
from pulse.ingest.sources.base import (
    Normalised,
    PayloadError,
    Reference,
    SignatureError,
    SourceAdapter,
    SourceContext,
    SourceRequest,
)
from pulse.ingest.sources.zendesk import ZendeskAdapter

FIXTURES = Path(__file__).parents[1] / "fixtures" / "zendesk"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rz"
ADAPTER: SourceAdapter = ZendeskAdapter()
ACME_ORG = Reference("zendesk", "organization", "509974")
INITECH_ORG = Reference("zendesk", "organization", "509980")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return loaded


def normalise(payload: Any, known: Mapping[Reference, str] | None = None) -> Normalised:
    return ADAPTER.normalise(payload, SourceContext(now=NOW, known=known or {}))


def valid(outcome: Normalised) -> list[Event]:
    """Every envelope produced, validated as /v1/events would."""
    return [validate_event(raw, now=NOW) for raw in outcome.events]


def test_created_ticket_event_becomes_ticket_opened_of_the_mapped_organization() -> None:
    outcome = normalise(fixture("event_ticket_created.json"), known={ACME_ORG: "acme"})

    [event] = valid(outcome)
    assert isinstance(event, SupportTicketOpened)
    assert event.id == "zendesk:01JD2K8Q3M4N5P6R7S8T9V0W1X"
    assert event.account_id == "acme"
    assert event.source == "zendesk"
    assert event.occurred_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert event.data.ticket_id == "35436"
    assert event.data.priority == "high"
    assert event.data.channel == "web"
    assert (outcome.unmapped, outcome.ignored, outcome.learned) == ([], [], {})


def test_status_changed_to_solved_becomes_ticket_resolved() -> None:
    outcome = normalise(fixture("event_ticket_status_changed.json"), known={ACME_ORG: "acme"})

    [event] = valid(outcome)
    assert isinstance(event, SupportTicketResolved)
    assert event.id == "zendesk:01JD2R4B6C8D0E2F4G6H8J0K2M"
    assert event.account_id == "acme"
    assert event.occurred_at == datetime(2026, 11, 20, 11, 5, tzinfo=UTC)
    assert event.data.ticket_id == "35436"
    assert event.data.csat is None


@pytest.mark.parametrize("status", ["OPEN", "PENDING", "HOLD", "CLOSED"])
def test_status_changed_to_anything_but_solved_is_ignored(status: str) -> None:
    payload = fixture("event_ticket_status_changed.json")
    payload["event"]["current"] = status

    outcome = normalise(payload, known={ACME_ORG: "acme"})
    assert (outcome.events, outcome.unmapped) == ([], [])
    [ignored] = outcome.ignored
    assert ignored.path == "event.current"
    assert repr(status) in ignored.reason


def test_other_event_types_are_ignored() -> None:
    payload = fixture("event_ticket_created.json")
    payload["type"] = "zen:event-type:ticket.comment_added"

    [ignored] = normalise(payload).ignored
    assert ignored.path == "type"
    assert "ticket.created and ticket.status_changed" in ignored.reason


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("voice", "phone"),
        ("email", "email"),
        ("chat", "chat"),
        ("native_messaging", "chat"),
        ("web", "web"),
        ("web_form", "web"),
        ("api", "web"),
        ("web_service", "web"),
        ("twitter", "other"),
        ("SMS", "other"),
    ],
)
def test_via_channel_maps_to_a_pulse_channel(channel: str, expected: str) -> None:
    payload = fixture("event_ticket_created.json")
    payload["detail"]["via"]["channel"] = channel

    [event] = valid(normalise(payload, known={ACME_ORG: "acme"}))
    assert isinstance(event, SupportTicketOpened)
    assert event.data.channel == expected


@pytest.mark.parametrize(
    ("priority", "expected"), [("URGENT", "urgent"), ("low", "low"), (None, None)]
)
def test_priority_is_lower_cased_and_optional(priority: str | None, expected: str | None) -> None:
    payload = fixture("event_ticket_created.json")
    payload["detail"]["priority"] = priority

    [event] = valid(normalise(payload, known={ACME_ORG: "acme"}))
    assert isinstance(event, SupportTicketOpened)
    assert event.data.priority == expected


def test_an_unmapped_organization_is_unmapped_naming_the_reference_endpoint() -> None:
    outcome = normalise(fixture("event_ticket_created.json"))

    assert outcome.events == []
    [unmapped] = outcome.unmapped
    assert unmapped.path == "detail.organization_id"
    assert unmapped.vendor_id == "35436"
    assert "PUT /v1/sources/zendesk/references/organization/509974" in unmapped.reason


@pytest.mark.parametrize("organization_id", [None, "0"])
def test_a_ticket_without_organization_is_unmapped(organization_id: str | None) -> None:
    payload = fixture("event_ticket_created.json")
    payload["detail"]["organization_id"] = organization_id

    assert ADAPTER.references_needed(payload) == set()
    [unmapped] = normalise(payload).unmapped
    assert "ticket 35436 has no organization" in unmapped.reason
    assert "PUT /v1/sources/zendesk/references/organization/{id}" in unmapped.reason


def test_the_ticket_external_id_is_not_taken_for_an_account() -> None:
    payload = fixture("event_ticket_created.json")
    payload["detail"]["external_id"] = "acme"

    assert normalise(payload).events == []


def test_trigger_body_created_uses_the_organization_external_id_and_learns_it() -> None:
    outcome = normalise(fixture("trigger_ticket_created.json"))

    [event] = valid(outcome)
    assert isinstance(event, SupportTicketOpened)
    assert event.id == "zendesk:ticket:35440:opened"
    assert event.account_id == "initech"
    # {{ticket.updated_at_with_timestamp}} is to the minute
    assert event.occurred_at == datetime(2026, 11, 20, 9, 42, tzinfo=UTC)
    assert event.data.priority == "urgent"
    assert event.data.channel == "phone"
    assert outcome.learned == {INITECH_ORG: "initech"}


def test_trigger_body_mapped_organization_wins_over_its_external_id() -> None:
    outcome = normalise(fixture("trigger_ticket_created.json"), known={INITECH_ORG: "initech-inc"})

    assert [e.account_id for e in valid(outcome)] == ["initech-inc"]
    assert outcome.learned == {}


def test_trigger_body_external_id_that_is_no_account_id_is_unmapped() -> None:
    payload = fixture("trigger_ticket_created.json")
    payload["ticket"]["organization"]["external_id"] = "Initech Corp"

    outcome = normalise(payload)
    assert (outcome.events, outcome.learned) == ([], {})
    [unmapped] = outcome.unmapped
    assert unmapped.path == "ticket.organization.id"
    assert "PUT /v1/sources/zendesk/references/organization/509980" in unmapped.reason
    assert "'Initech Corp' is not an account id" in unmapped.reason


@pytest.mark.parametrize(
    ("rating", "csat"),
    [
        ("Good, I'm satisfied", 5),
        ("Bad, I'm unsatisfied", 1),
        ("good", 5),
        ("Offered", None),
        ("", None),
        (4, 4),
        (9, None),
    ],
)
def test_trigger_body_solved_maps_good_and_bad_ratings(rating: object, csat: int | None) -> None:
    payload = fixture("trigger_ticket_solved.json")
    payload["ticket"]["satisfaction"] = rating

    [event] = valid(normalise(payload))
    assert isinstance(event, SupportTicketResolved)
    assert event.id == "zendesk:ticket:35440:resolved:2026-11-20T11:20:00Z"
    assert event.account_id == "initech"
    assert event.occurred_at == datetime(2026, 11, 20, 11, 20, tzinfo=UTC)
    assert event.data.ticket_id == "35440"
    assert event.data.csat == csat


def test_event_satisfaction_rating_score_is_read_when_present() -> None:
    payload = fixture("event_ticket_status_changed.json")
    payload["detail"]["satisfaction_rating"] = {"score": "bad", "comment": "slow"}

    [event] = valid(normalise(payload, known={ACME_ORG: "acme"}))
    assert isinstance(event, SupportTicketResolved)
    assert event.data.csat == 1


@pytest.mark.parametrize(
    ("via", "channel"),
    [("Phone call (incoming)", "phone"), ("Mail", "email"), ("Web form", "web"), ("Chat", "chat")],
)
def test_trigger_body_via_labels_map_to_channels(via: str, channel: str) -> None:
    payload = fixture("trigger_ticket_created.json")
    payload["ticket"]["via"] = via

    [event] = valid(normalise(payload))
    assert isinstance(event, SupportTicketOpened)
    assert event.data.channel == channel


def test_trigger_body_with_another_event_is_ignored() -> None:
    payload = fixture("trigger_ticket_created.json")
    payload["event"] = "ticket.pending"

    [ignored] = normalise(payload).ignored
    assert ignored.path == "event"


def _without(name: str, *path: str) -> dict[str, Any]:
    payload = fixture(name)
    holder = payload
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return payload


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (["not", "an", "object"], ""),
        ({"type": "ticket.created"}, ""),
        (_without("event_ticket_created.json", "id"), "id"),
        (_without("event_ticket_created.json", "time"), "time"),
        (_without("event_ticket_created.json", "detail"), "detail"),
        (_without("event_ticket_created.json", "detail", "id"), "detail.id"),
        ({**fixture("event_ticket_created.json"), "detail": "35436"}, "detail"),
        (_without("trigger_ticket_created.json", "event"), "event"),
        (_without("trigger_ticket_created.json", "ticket", "id"), "ticket.id"),
        (_without("trigger_ticket_created.json", "ticket", "updated_at"), "ticket.updated_at"),
        ({"event": "ticket.created", "ticket": 35440}, "ticket"),
    ],
)
def test_malformed_payloads_name_the_path(payload: Any, path: str) -> None:
    with pytest.raises(PayloadError) as raised:
        normalise(payload)
    assert raised.value.path == path


def test_references_needed_is_the_ticket_organization_of_either_shape() -> None:
    assert ADAPTER.references_needed(fixture("event_ticket_created.json")) == {ACME_ORG}
    assert ADAPTER.references_needed(fixture("trigger_ticket_solved.json")) == {INITECH_ORG}


# --- signatures -------------------------------------------------------------------------

BODY = (FIXTURES / "event_ticket_created.json").read_bytes()
SIGNED_AT = "2026-11-20T11:59:00Z"


def signed(body: bytes = BODY, timestamp: str = SIGNED_AT, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return {
        "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
        "x-zendesk-webhook-signature-timestamp": timestamp,
    }


def verify(headers: Mapping[str, str], body: bytes = BODY, tolerance_s: int = 300) -> None:
    ADAPTER.verify(SourceRequest(headers, body, NOW, SECRET, tolerance_s))


def test_a_fresh_signature_is_accepted() -> None:
    verify(signed())


def test_a_signature_within_the_tolerance_is_accepted_either_side_of_now() -> None:
    verify(signed(timestamp="2026-11-20T11:55:01Z"), tolerance_s=300)
    verify(signed(timestamp="2026-11-20T12:04:59Z"), tolerance_s=300)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_stale_signature_is_refused(offset: timedelta) -> None:
    timestamp = (NOW + offset).isoformat().replace("+00:00", "Z")
    with pytest.raises(SignatureError, match="stale signature"):
        verify(signed(timestamp=timestamp), tolerance_s=300)


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify(signed(), BODY.replace(b"HIGH", b"LOW"))


def test_a_replayed_signature_under_another_timestamp_is_refused() -> None:
    headers = signed()
    headers["x-zendesk-webhook-signature-timestamp"] = "2026-11-20T11:59:30Z"
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("x-zendesk-webhook-signature", "missing X-Zendesk-Webhook-Signature header"),
        (
            "x-zendesk-webhook-signature-timestamp",
            "missing X-Zendesk-Webhook-Signature-Timestamp header",
        ),
    ],
)
def test_a_missing_header_is_refused(header: str, message: str) -> None:
    headers = signed()
    del headers[header]
    with pytest.raises(SignatureError, match=message):
        verify(headers)


@pytest.mark.parametrize("signature", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_signature_is_refused(signature: str) -> None:
    headers = {**signed(), "x-zendesk-webhook-signature": signature}
    with pytest.raises(SignatureError, match="malformed X-Zendesk-Webhook-Signature:"):
        verify(headers)


@pytest.mark.parametrize("timestamp", ["yesterday", "1763640000", "2026-11-20T11:59:00"])
def test_a_malformed_timestamp_is_refused(timestamp: str) -> None:
    with pytest.raises(SignatureError, match="malformed X-Zendesk-Webhook-Signature-Timestamp"):
        verify(signed(timestamp=timestamp))
