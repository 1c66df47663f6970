"""What every vendor adapter provides: signature check and payload → Pulse envelopes.

Adapters are pure: no I/O, no clock. The route gives them the request (raw body, headers,
arrival time), and a snapshot of the account references they asked for; they answer with raw
envelopes (validated afterwards like any event sent to /v1/events), the references they
learned, and the vendor objects they could not map to an account, each with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic_core import PydanticCustomError

from pulse.common.events.fields import parse_account_id

#: The default time a signed request may be old (or early) before it is refused.
DEFAULT_SIGNATURE_TOLERANCE_S = 300


@dataclass(frozen=True, slots=True, order=True)
class Reference:
    """A vendor's name for an account: `Reference("stripe", "customer", "cus_123")`."""

    source: str
    kind: str
    value: str


def account_id_problem(candidate: str) -> str | None:
    """Why a vendor's value cannot be a Pulse account id (as /v1/events would say), or None."""
    try:
        parse_account_id(candidate)
    except PydanticCustomError as error:
        return error.message()
    return None


@dataclass(frozen=True, slots=True)
class SourceRequest:
    """A webhook call as its signature check sees it: what arrived, when, and the secret
    configured for its source. Each adapter reads the parts its vendor's scheme uses."""

    #: header names in lower case
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime
    secret: str = field(repr=False)
    #: how old (or early) a signed request may be before it is refused
    tolerance_s: int = DEFAULT_SIGNATURE_TOLERANCE_S


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong; the message says which."""


class PayloadError(Exception):
    """The payload is JSON but not the vendor's shape; `path` points at the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(payload)'}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A vendor object that could not become an event: where it is, and why."""

    path: str  # e.g. "batch.3" or "data.object.customer"
    reason: str  # a sentence a person can act on, naming how to map it
    vendor_id: str | None = None  # the vendor's event/object id, when there is one


@dataclass(frozen=True, slots=True)
class Ignored:
    """A vendor event Pulse deliberately does not turn into an event (e.g. `invoice.voided`)."""

    path: str
    reason: str


@dataclass(slots=True)
class Normalised:
    """The outcome of one webhook call."""

    events: list[dict[str, Any]] = field(default_factory=list)
    learned: dict[Reference, str] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What an adapter may know beyond the payload."""

    now: datetime
    #: account references asked for by `references_needed`, those that are known
    known: Mapping[Reference, str] = field(default_factory=dict)
    #: Statuspage component id → the accounts it serves (`*` for every account)
    component_accounts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: every account ingest has seen, for outages that hit everyone
    all_accounts: tuple[str, ...] = ()


class SourceAdapter(Protocol):
    """One vendor's webhook: `/v1/sources/{name}`."""

    name: str
    #: the header carrying the signature, documented in OpenAPI and error messages
    signature_header: str

    def verify(self, request: SourceRequest) -> None:
        """Raise `SignatureError` unless the request carries a valid, fresh signature made
        with `request.secret`."""
        ...

    def references_needed(self, payload: Any) -> set[Reference]:
        """The account references `normalise` will look up for this payload."""
        ...

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """Turn the decoded JSON payload into raw Pulse envelopes (not yet validated).

        Raise `PayloadError` when the payload is not this vendor's shape at all. Every
        envelope gets `source` = the adapter name and a deterministic `id` derived from the
        vendor's own event id (so a redelivered webhook produces the same id).
        """
        ...
