"""Segment: track calls become `usage.activity`, group calls `account.updated`; group and
identify calls teach which account a Segment user belongs to.

The Webhooks destination POSTs one Spec message per request. A batch, as the HTTP Tracking
API writes it (`{"batch": [...]}`) or as a bare array, is read item by item at `batch.<i>`,
in order, so a group call teaches the account of the track calls after it.

Accounts. A group call's account is `traits.account_id` when given, else the account the
group is mapped to (`PUT /v1/sources/segment/references/group/{groupId}`), else the groupId
itself: B2B apps usually call `group` with their own account id, and Pulse would rather use
it than leave the group unmapped. A track call's account is that of `context.groupId`, else
that of its user (learned from group and identify calls, or mapped by hand).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pulse.common.events.messages import describe, json_type
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
from pulse.ingest.sources.payload import PayloadObject

NAME = "segment"
SIGNATURE_HEADER = "x-signature"
_SHA1_HEX_DIGITS = 40
_TIME_FIELDS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
_PASSED_TRAITS = ("name", "plan", "industry", "currency")
_IGNORED_CALLS = {
    "page": "page views are not product usage Pulse scores",
    "screen": "screen views are not product usage Pulse scores",
    "alias": "alias calls merge identities; Pulse maps users to accounts by group calls",
}


@dataclass(slots=True)
class _Accounts:
    """Where users and groups belong: what ingest knew, then what this payload taught."""

    known: Mapping[Reference, str]
    learned: dict[Reference, str]

    def of(self, kind: str, value: str) -> str | None:
        ref = Reference(NAME, kind, value)
        return self.learned.get(ref) or self.known.get(ref)

    def learn(self, kind: str, value: str, account: str) -> None:
        if self.of(kind, value) != account:
            self.learned[Reference(NAME, kind, value)] = account


class SegmentAdapter:
    """`/v1/sources/segment`: the Segment Webhooks destination."""

    name: str = NAME
    signature_header: str = SIGNATURE_HEADER

    def verify(self, request: SourceRequest) -> None:
        """X-Signature: hex HMAC-SHA1 of the body with the destination's shared secret.

        Segment signs no timestamp, so the request's age plays no part; a replayed message
        carries its messageId again and so produces the same event id.
        """
        received = request.headers.get(SIGNATURE_HEADER)
        if received is None:
            raise SignatureError(
                "missing X-Signature header; set a shared secret in the Segment destination"
            )
        received = received.strip().lower()
        if len(received) != _SHA1_HEX_DIGITS or not set(received) <= set(string.hexdigits):
            raise SignatureError(
                f"malformed X-Signature: expected {_SHA1_HEX_DIGITS} hex digits "
                f"(HMAC-SHA1 of the body), got {describe(received)}"
            )
        expected = hmac.new(request.secret.encode(), request.body, hashlib.sha1).hexdigest()
        if not hmac.compare_digest(expected, received):
            raise SignatureError("X-Signature does not match the body and the shared secret")

    def references_needed(self, payload: Any) -> set[Reference]:
        """The groups (`context.groupId`, group calls) and users of the payload's messages."""
        wanted: set[Reference] = set()
        for message in _messages(payload):
            for group_id in _group_ids(message):
                wanted.add(Reference(NAME, "group", group_id))
            user_id = message.text("userId")
            if user_id is not None:
                wanted.add(Reference(NAME, "user", user_id))
        return wanted

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """Each message in order; references learned by one are used by those after it."""
        outcome = Normalised()
        accounts = _Accounts(context.known, outcome.learned)
        for message in _messages(payload):
            _normalise_message(message, accounts, outcome)
        return outcome


def _messages(payload: Any) -> list[PayloadObject]:
    """The message, or each message of a batch, at its path ("" or "batch.<i>")."""
    if isinstance(payload, dict) and "batch" in payload:
        items = payload["batch"]
        if not isinstance(items, list):
            raise PayloadError("batch", f"expected an array of messages, got {json_type(items)}")
    elif isinstance(payload, list):
        items = payload
    else:
        return [_message(payload, "", "a Segment message or batch (an object)")]
    return [
        _message(item, f"batch.{index}", "a Segment message (an object)")
        for index, item in enumerate(items)
    ]


def _message(value: object, path: str, expected: str) -> PayloadObject:
    """Segment libraries may send ids as numbers: they read as text."""
    return PayloadObject.of(value, path, expected=expected, numbers_as_text=True)


def _normalise_message(message: PayloadObject, accounts: _Accounts, outcome: Normalised) -> None:
    call = message.required_text("type").lower()
    read = _CALLS.get(call)
    if read is not None:
        read(message, accounts, outcome)
        return
    reason = _IGNORED_CALLS.get(call, f"unknown call type {call!r}")
    outcome.ignored.append(
        Ignored(message.at("type"), f"{reason}; Pulse reads track, identify and group calls")
    )


def _track(message: PayloadObject, accounts: _Accounts, outcome: Normalised) -> None:
    message_id = message.required_text("messageId")
    feature = message.required_text("event")
    user_id = message.text("userId") or message.text("anonymousId")
    if user_id is None:
        raise PayloadError(message.at("userId"), "a track call needs a userId or an anonymousId")
    occurred_at = _occurred_at(message)
    account = _track_account(message, accounts, message_id)
    if isinstance(account, Unmapped):
        outcome.unmapped.append(account)
        return
    properties = message.optional_object("properties")
    data = {"user_id": user_id, "feature": feature, "quantity": _quantity(properties)}
    outcome.events.append(_envelope("usage.activity", message_id, account, occurred_at, data))


def _track_account(message: PayloadObject, accounts: _Accounts, message_id: str) -> str | Unmapped:
    group_id = _context_group_id(message)
    if group_id is not None:
        account = accounts.of("group", group_id) or group_id
        problem = account_id_problem(account)
        if problem is None:
            return account
        return Unmapped(
            message.at("context.groupId"),
            f"context.groupId {group_id!r} is not an account id ({problem}); map the group "
            f"with PUT /v1/sources/segment/references/group/{group_id}",
            message_id,
        )
    user_id = message.text("userId")
    mapped = accounts.of("user", user_id) if user_id is not None else None
    if mapped is not None:
        return mapped
    if user_id is None:
        reason = "an anonymous Segment user belongs to no account: set context.groupId on its calls"
    else:
        reason = (
            f"Segment user {user_id!r} belongs to no known account: send a group call for the "
            "user or set context.groupId on its calls, or map the user with "
            f"PUT /v1/sources/segment/references/user/{user_id}"
        )
    return Unmapped(message.at("userId"), reason, message_id)


def _identify(message: PayloadObject, accounts: _Accounts, outcome: Normalised) -> None:
    user_id = message.text("userId")
    found = _identify_account(message, accounts)
    if user_id is None or found is None:
        outcome.ignored.append(
            Ignored(
                message.at("type"),
                "an identify call makes no event and this one teaches no account: it needs a "
                "userId and traits.account_id, context.groupId or traits.company.id",
            )
        )
        return
    account, field = found
    problem = account_id_problem(account)
    if problem is not None:
        outcome.unmapped.append(
            Unmapped(
                message.at(field),
                f"{field} {account!r} is not an account id ({problem}); map the user with "
                f"PUT /v1/sources/segment/references/user/{user_id}",
                message.text("messageId"),
            )
        )
        return
    accounts.learn("user", user_id, account)


def _identify_account(message: PayloadObject, accounts: _Accounts) -> tuple[str, str] | None:
    """The account an identify call names, and the field it came from."""
    account_id = message.optional_object("traits").text("account_id")
    if account_id is not None:
        return account_id, "traits.account_id"
    candidates = (
        ("context.groupId", _context_group_id(message)),
        ("traits.company.id", _company_id(message)),
    )
    for field, group_id in candidates:
        if group_id is not None:
            return accounts.of("group", group_id) or group_id, field
    return None


def _group(message: PayloadObject, accounts: _Accounts, outcome: Normalised) -> None:
    message_id = message.required_text("messageId")
    group_id = _group_id_of(message)
    if group_id is None:
        raise PayloadError(message.at("groupId"), "a group call needs a groupId")
    occurred_at = _occurred_at(message)
    traits = message.optional_object("traits")
    account_id = traits.text("account_id")
    account = account_id or accounts.of("group", group_id) or group_id
    problem = account_id_problem(account)
    if problem is not None:
        field = "traits.account_id" if account_id is not None else "groupId"
        outcome.unmapped.append(
            Unmapped(
                message.at(field),
                f"{field} {account!r} is not an account id ({problem}); set traits.account_id "
                f"or map the group with PUT /v1/sources/segment/references/group/{group_id}",
                message_id,
            )
        )
        return
    accounts.learn("group", group_id, account)
    user_id = message.text("userId")
    if user_id is not None:
        accounts.learn("user", user_id, account)
    data = _account_attributes(traits)
    if data:
        outcome.events.append(_envelope("account.updated", message_id, account, occurred_at, data))


def _account_attributes(traits: Mapping[str, Any]) -> dict[str, Any]:
    """The group traits Pulse knows; others (employees, custom ones) are left out.

    Values go on as sent, so validation names a bad one; `mrr` (read only when numeric)
    becomes `arr` x 12 when no `arr` is sent, and `seats` stands in for `licensed_seats`.
    """
    data = {name: traits[name] for name in _PASSED_TRAITS if traits.get(name) is not None}
    arr = traits.get("arr")
    mrr = _decimal(traits.get("mrr"))
    if arr is None and mrr is not None:
        arr = format(mrr * 12, "f")
    if arr is not None:
        data["arr"] = arr
    seats = traits.get("licensed_seats", traits.get("seats"))
    if seats is not None:
        data["licensed_seats"] = _whole(seats)
    return data


def _envelope(
    event_type: str, message_id: str, account: str, occurred_at: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": f"{NAME}:{message_id}",
        "type": event_type,
        "account_id": account,
        "occurred_at": occurred_at,
        "source": NAME,
        "data": data,
    }


def _quantity(properties: Mapping[str, Any]) -> float:
    """`properties.quantity` when it is a non-negative number, else 1."""
    value = properties.get("quantity")
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number >= 0:
            return number
    return 1.0


def _occurred_at(message: PayloadObject) -> str:
    found = message.first_string(_TIME_FIELDS)
    if found is None:
        raise message.error(
            "timestamp", f"expected one of {', '.join(_TIME_FIELDS)} as a timestamp"
        )
    return found


def _group_ids(message: PayloadObject) -> list[str]:
    """Every group a message names: its context, a group call's groupId, a company trait."""
    candidates = (_context_group_id(message), _group_id_of(message), _company_id(message))
    return [group_id for group_id in candidates if group_id is not None]


def _context_group_id(message: PayloadObject) -> str | None:
    return message.optional_object("context").text("groupId")


def _group_id_of(message: PayloadObject) -> str | None:
    is_group = str(message.get("type", "")).lower() == "group"
    return message.text("groupId") if is_group else None


def _company_id(message: PayloadObject) -> str | None:
    company = message.optional_object("traits").object_or_none("company")
    return company.text("id") if company is not None else None


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _whole(value: object) -> object:
    """25.0 → 25 (JavaScript sends whole numbers as floats); anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_CALLS: dict[str, Callable[[PayloadObject, _Accounts, Normalised], None]] = {
    "track": _track,
    "identify": _identify,
    "group": _group,
}
