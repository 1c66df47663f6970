"""Zendesk: a created ticket becomes `support.ticket.opened`, a solved one
`support.ticket.resolved`.

Two payload shapes are read:

- Zendesk's event webhooks, subscribed to `zen:event-type:ticket.created` and
  `zen:event-type:ticket.status_changed` (`type`, `id`, `time`, `detail` = the ticket,
  `event`); a status change to anything but solved is ignored.
- A webhook attached to a trigger, whose JSON body the admin writes. Pulse reads this body
  (the placeholders render as text):

      {"event": "ticket.created",          (or "ticket.solved", a fixed text per trigger)
       "ticket": {"id": "{{ticket.id}}", "priority": "{{ticket.priority}}",
                  "via": "{{ticket.via}}",
                  "updated_at": "{{ticket.updated_at_with_timestamp}}",
                  "organization": {"id": "{{ticket.organization.id}}",
                                   "external_id": "{{ticket.organization.external_id}}"},
                  "satisfaction": "{{satisfaction.current_rating}}"}}

The account is the one the ticket's organization is mapped to
(`PUT /v1/sources/zendesk/references/organization/{id}`), else the organization's external
id when the payload carries it (trigger bodies only; Pulse then learns the mapping).
Zendesk's legacy satisfaction ratings are good or bad: good → csat 5, bad → 1; a rating
from 1 to 5 is taken as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pulse.common.events.messages import describe
from pulse.ingest.sources.base import (
    Ignored,
    Normalised,
    PayloadError,
    Reference,
    SignatureError,
    SourceContext,
    SourceRequest,
    Unmapped,
    account_id_problem,
)
from pulse.ingest.sources.payload import PayloadObject, as_text, is_int

NAME = "zendesk"
SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
_SHA256_BYTES = 32
_EVENT_TYPE_PREFIX = "zen:event-type:"
_TICKET_CREATED = "zen:event-type:ticket.created"
_STATUS_CHANGED = "zen:event-type:ticket.status_changed"
_TRIGGER_EVENTS = {"ticket.created": "opened", "ticket.solved": "resolved"}
_PRIORITIES = {"low", "normal", "high", "urgent"}
#: `via.channel` of event webhooks and `{{ticket.via}}` of triggers, as `_key` spells them
_CHANNELS = {
    **dict.fromkeys(
        ("voice", "phone", "phone_call_incoming", "phone_call_outgoing", "voicemail"), "phone"
    ),
    **dict.fromkeys(("email", "mail"), "email"),
    **dict.fromkeys(
        ("chat", "chat_transcript", "messaging", "native_messaging", "web_messaging"), "chat"
    ),
    **dict.fromkeys(("web", "web_form", "web_widget", "api", "web_service"), "web"),
}
_NO_SECONDS = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:?\d{2})", re.ASCII)


@dataclass(frozen=True, slots=True)
class _Ticket:
    """What Pulse takes from either payload shape."""

    kind: str  # "opened" or "resolved"
    event_id: str
    ticket_id: str
    occurred_at: str
    priority: str | None
    channel: str | None
    csat: int | None
    organization_id: str | None
    organization_external_id: str | None
    organization_path: str


class ZendeskAdapter:
    """`/v1/sources/zendesk`: Zendesk ticket webhooks."""

    name: str = NAME
    signature_header: str = SIGNATURE_HEADER

    def verify(self, request: SourceRequest) -> None:
        """base64 HMAC-SHA256 of timestamp + body with the webhook's signing secret."""
        headers = request.headers
        signature = _header(headers, SIGNATURE_HEADER, "X-Zendesk-Webhook-Signature")
        timestamp = _header(headers, TIMESTAMP_HEADER, "X-Zendesk-Webhook-Signature-Timestamp")
        signed_at = _signed_at(timestamp)
        received = _signature_bytes(signature)
        signed = timestamp.encode() + request.body
        expected = hmac.new(request.secret.encode(), signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, received):
            raise SignatureError(
                "X-Zendesk-Webhook-Signature does not match the timestamp, the body and the "
                "signing secret"
            )
        age = (request.received_at - signed_at).total_seconds()
        if abs(age) > request.tolerance_s:
            raise SignatureError(
                f"stale signature: signed at {timestamp}, {abs(age):.0f} s "
                f"{'before' if age > 0 else 'after'} now; at most {request.tolerance_s} s is "
                "accepted"
            )

    def references_needed(self, payload: Any) -> set[Reference]:
        """The ticket's organization."""
        organization_id = _organization_of(_payload(payload))
        if organization_id is None:
            return set()
        return {Reference(NAME, "organization", organization_id)}

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """One ticket event → at most one envelope."""
        outcome = Normalised()
        read = _read(_payload(payload))
        if isinstance(read, Ignored):
            outcome.ignored.append(read)
            return outcome
        account = _account(read, context.known, outcome.learned)
        if isinstance(account, Unmapped):
            outcome.unmapped.append(account)
        else:
            outcome.events.append(_envelope(read, account))
        return outcome


def _payload(payload: Any) -> PayloadObject:
    """The payload as an object; Zendesk sends ids as strings or numbers, both read as text."""
    return PayloadObject.of(payload, numbers_as_text=True)


def _read(payload: PayloadObject) -> _Ticket | Ignored:
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith(_EVENT_TYPE_PREFIX):
        return _read_event(payload, event_type)
    if "ticket" in payload:
        return _read_trigger(payload)
    raise PayloadError(
        "",
        "expected a Zendesk event webhook (type zen:event-type:...) or a trigger body with "
        "'event' and 'ticket'",
    )


def _read_event(payload: PayloadObject, event_type: str) -> _Ticket | Ignored:
    if event_type == _STATUS_CHANGED:
        current = payload.optional_object("event").text("current")
        if current is None or current.lower() != "solved":
            return Ignored(
                "event.current",
                f"ticket status changed to {current!r}; only solved becomes a resolved ticket",
            )
    elif event_type != _TICKET_CREATED:
        return Ignored(
            "type",
            f"{event_type} is not read; subscribe to ticket.created and ticket.status_changed",
        )
    detail = payload.required_object("detail")
    return _Ticket(
        kind="opened" if event_type == _TICKET_CREATED else "resolved",
        event_id=f"{NAME}:{payload.required_text('id')}",
        ticket_id=detail.required_text("id"),
        occurred_at=payload.required_text("time"),
        priority=_priority(detail.text("priority")),
        channel=_channel(detail.optional_object("via").text("channel")),
        csat=_csat(detail.get("satisfaction_rating")),
        organization_id=_organization_id(detail.text("organization_id")),
        organization_external_id=None,  # detail.external_id is the ticket's, not its org's
        organization_path="detail.organization_id",
    )


def _read_trigger(payload: PayloadObject) -> _Ticket | Ignored:
    event = payload.required_text("event")
    kind = _TRIGGER_EVENTS.get(event.lower())
    if kind is None:
        return Ignored("event", f"{event!r} is not read; send ticket.created or ticket.solved")
    ticket = payload.required_object("ticket")
    ticket_id = ticket.required_text("id")
    updated_at = _seconds_added(ticket.required_text("updated_at"))
    organization = ticket.optional_object("organization")
    # A ticket is created once but may be solved again after reopening.
    suffix = "opened" if kind == "opened" else f"resolved:{updated_at}"
    return _Ticket(
        kind=kind,
        event_id=f"{NAME}:ticket:{ticket_id}:{suffix}",
        ticket_id=ticket_id,
        occurred_at=updated_at,
        priority=_priority(ticket.text("priority")),
        channel=_channel(ticket.text("via")),
        csat=_csat(ticket.get("satisfaction")),
        organization_id=_organization_id(organization.text("id")),
        organization_external_id=organization.text("external_id"),
        organization_path="ticket.organization.id",
    )


def _account(
    ticket: _Ticket, known: Mapping[Reference, str], learned: dict[Reference, str]
) -> str | Unmapped:
    organization = (
        Reference(NAME, "organization", ticket.organization_id)
        if ticket.organization_id is not None
        else None
    )
    mapped = known.get(organization) if organization is not None else None
    if mapped is not None:
        return mapped
    external_id = ticket.organization_external_id
    problem = account_id_problem(external_id) if external_id is not None else None
    if external_id is not None and problem is None:
        if organization is not None:
            learned[organization] = external_id
        return external_id
    return Unmapped(ticket.organization_path, _unmapped_reason(ticket, problem), ticket.ticket_id)


def _unmapped_reason(ticket: _Ticket, external_id_problem: str | None) -> str:
    if ticket.organization_id is None:
        return (
            f"ticket {ticket.ticket_id} has no organization: add the requester to one, then "
            "map it with PUT /v1/sources/zendesk/references/organization/{id}"
        )
    reason = (
        f"Zendesk organization {ticket.organization_id} is not mapped to an account: map it "
        f"with PUT /v1/sources/zendesk/references/organization/{ticket.organization_id}"
    )
    if ticket.organization_external_id:
        reason += (
            f" (its external id {ticket.organization_external_id!r} is not an account id: "
            f"{external_id_problem})"
        )
    return reason


def _envelope(ticket: _Ticket, account: str) -> dict[str, Any]:
    data: dict[str, object]
    if ticket.kind == "opened":
        data = {
            "ticket_id": ticket.ticket_id,
            "priority": ticket.priority,
            "channel": ticket.channel,
        }
    else:
        data = {"ticket_id": ticket.ticket_id, "csat": ticket.csat}
    return {
        "id": ticket.event_id,
        "type": f"support.ticket.{ticket.kind}",
        "account_id": account,
        "occurred_at": ticket.occurred_at,
        "source": NAME,
        "data": {key: value for key, value in data.items() if value is not None},
    }


def _organization_of(payload: PayloadObject) -> str | None:
    """The organization id of either shape, read leniently (normalise reports bad shapes)."""
    if isinstance(payload.get("type"), str):
        detail = payload.object_or_none("detail")
        return _organization_id(detail.text("organization_id")) if detail is not None else None
    ticket = payload.object_or_none("ticket")
    organization = ticket.object_or_none("organization") if ticket is not None else None
    return _organization_id(organization.text("id")) if organization is not None else None


def _organization_id(text: str | None) -> str | None:
    """Zendesk writes "0" (events) or "" (placeholders) for a ticket without organization."""
    return None if text in (None, "0") else text


def _priority(text: str | None) -> str | None:
    return text.lower() if text is not None and text.lower() in _PRIORITIES else None


def _channel(text: str | None) -> str | None:
    if text is None:
        return None
    return _CHANNELS.get(re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_"), "other")


def _csat(value: object) -> int | None:
    """good → 5, bad → 1 (also the text "Good, I'm satisfied"), 1-5 as is, else none."""
    if isinstance(value, dict):
        return _csat(value.get("score"))
    if is_int(value):
        return value if 1 <= value <= 5 else None
    text = (as_text(value) or "").lower()
    if text.startswith("good"):
        return 5
    if text.startswith("bad"):
        return 1
    return None


def _seconds_added(timestamp: str) -> str:
    """`{{ticket.updated_at_with_timestamp}}` renders 2026-11-20T09:30Z: add the seconds."""
    match = _NO_SECONDS.fullmatch(timestamp)
    if match is None:
        return timestamp
    offset = match.group(2)
    if len(offset) == 5:  # +0100 → +01:00
        offset = f"{offset[:3]}:{offset[3:]}"
    return f"{match.group(1)}:00{offset}"


def _header(headers: Mapping[str, str], name: str, spelled: str) -> str:
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"missing {spelled} header")
    return value


def _signed_at(timestamp: str) -> datetime:
    signed_at: datetime | None
    try:
        signed_at = datetime.fromisoformat(timestamp.strip())
    except ValueError:
        signed_at = None
    if signed_at is None or signed_at.tzinfo is None:
        raise SignatureError(
            f"malformed X-Zendesk-Webhook-Signature-Timestamp {describe(timestamp)}: "
            "expected a time such as 2026-11-20T10:00:00Z"
        )
    return signed_at


def _signature_bytes(signature: str) -> bytes:
    try:
        received = base64.b64decode(signature.strip(), validate=True)
    except binascii.Error:
        received = b""
    if len(received) != _SHA256_BYTES:
        raise SignatureError(
            "malformed X-Zendesk-Webhook-Signature: expected the base64 of a 32-byte "
            f"HMAC-SHA256, got {describe(signature)}"
        )
    return received
