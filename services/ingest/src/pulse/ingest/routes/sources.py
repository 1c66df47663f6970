"""`POST /v1/sources/{vendor}`: vendor webhooks, and the account references they rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from pulse.common.auth import AdminKey, Credentials, ReadKey, authenticate
from pulse.common.errors import NotFoundError, PulseError, UnauthorizedError
from pulse.common.events import FieldError, RejectReason
from pulse.common.events.fields import AccountId
from pulse.common.http import JSONResponse
from pulse.ingest.batch import Rejection, validate_batch
from pulse.ingest.body import check_media_type, parse_json, read_body
from pulse.ingest.metrics import SIGNATURE_FAILURES, VENDOR_IGNORED, VENDOR_UNMAPPED
from pulse.ingest.publisher import publish_outcome
from pulse.ingest.references import (
    delete_reference,
    list_references,
    load_references,
    save_references,
    storable,
)
from pulse.ingest.routes.responses import SourceAnswer, answer
from pulse.ingest.sources.base import (
    PayloadError,
    Reference,
    SignatureError,
    SourceAdapter,
    SourceContext,
    SourceRequest,
)
from pulse.ingest.state import IngestState, IngestStateDep

SOURCES = ("segment", "stripe", "zendesk", "statuspage")
router = APIRouter(prefix="/v1/sources", tags=["sources"])


class InvalidPayloadError(PulseError):
    """JSON, but not the vendor's webhook shape (422)."""

    status_code = 422
    code = "invalid_payload"


class InvalidReferenceError(PulseError):
    """A reference that cannot be stored (422)."""

    status_code = 422
    code = "invalid_reference"


class ReferenceBody(BaseModel):
    """The account a vendor reference belongs to."""

    account_id: AccountId


def _adapter(state: IngestState, source: str) -> SourceAdapter:
    adapter = state.adapters.get(source)
    if adapter is None:
        raise NotFoundError(
            f"unknown source {source!r}; known: {', '.join(sorted(state.adapters))}"
        )
    return adapter


def _make_webhook_route(source: str) -> None:
    @router.post(
        f"/{source}",
        status_code=202,
        response_model=SourceAnswer,
        summary=f"Receive a {source.capitalize()} webhook",
        responses={
            400: {"description": "The body is not JSON."},
            401: {"description": "Bad signature (secret configured) or no valid API key."},
            413: {"description": "Body over the limit."},
            422: {"description": "JSON, but not the vendor's payload shape."},
            503: {"description": "Kafka did not take the events; the vendor retries."},
        },
        name=f"webhook_{source}",
    )
    async def webhook(
        request: Request, credentials: Credentials, state: IngestStateDep
    ) -> JSONResponse:
        """With a signing secret configured, the vendor's signature must be valid;
        without one, an API key with the `ingest` scope is required."""
        return await receive_webhook(request, credentials, state, source)


for _source in SOURCES:
    _make_webhook_route(_source)


async def receive_webhook(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    state: IngestState,
    source: str,
) -> JSONResponse:
    """Check who sent it, normalise the payload, produce the events, say what was not mapped."""
    adapter = _adapter(state, source)
    secret = state.config.signing_secret(source)
    if secret is None:
        authenticate(request, credentials, "ingest")
    check_media_type(request.headers.get("content-type"), ndjson=False)
    raw = await read_body(request, state.config.max_body_bytes)
    now = datetime.now(UTC)
    if secret is not None:
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            adapter.verify(
                SourceRequest(
                    headers=headers,
                    body=raw,
                    received_at=now,
                    secret=secret,
                    tolerance_s=state.config.signature_tolerance_s,
                )
            )
        except SignatureError as error:
            SIGNATURE_FAILURES.labels(source).inc()
            raise UnauthorizedError(f"{source} signature rejected: {error}") from error
    payload = parse_json(raw)
    try:
        wanted = adapter.references_needed(payload)
        async with state.context.sessions() as session:
            known = await load_references(session, wanted)
        context = SourceContext(
            now=now,
            known=known,
            component_accounts={
                k: tuple(v) for k, v in state.config.statuspage_component_accounts.items()
            },
            all_accounts=state.known_accounts.all() if source == "statuspage" else (),
        )
        normalised = adapter.normalise(payload, context)
    except PayloadError as error:
        raise InvalidPayloadError(
            f"not a {source} webhook payload: {error}",
            details=[{"path": error.path, "message": error.message}],
        ) from error
    if normalised.learned:
        async with state.context.sessions.begin() as session:
            await save_references(session, normalised.learned)
    outcome = validate_batch(normalised.events, now=now, floor=state.config.event_time_floor)
    for item in normalised.unmapped:
        VENDOR_UNMAPPED.labels(source).inc()
        outcome.rejected.append(
            Rejection(
                _position(item.path),
                item.vendor_id,
                (FieldError(item.path, item.reason, RejectReason.UNMAPPED),),
                "unmapped",
            )
        )
    VENDOR_IGNORED.labels(source).inc(len(normalised.ignored))
    await publish_outcome(outcome, state.publisher, state.known_accounts)
    ignored: list[dict[str, Any]] = [
        {"path": item.path, "reason": item.reason} for item in normalised.ignored
    ]
    return answer(outcome, {"ignored": ignored})


def _position(path: str) -> int:
    """The item position in a vendor batch (`batch.3.userId` → 3); 0 for a single event."""
    parts = path.split(".")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "batch" and parts[1].isdigit() else 0


@router.get("/{source}/references", summary="List a source's account references")
async def get_references(source: str, _: ReadKey, state: IngestStateDep) -> dict[str, Any]:
    """Vendor references (Stripe customers, Zendesk organisations, Segment users and groups)
    and the account each maps to."""
    _adapter(state, source)
    async with state.context.sessions() as session:
        return {"source": source, "references": await list_references(session, source)}


@router.put("/{source}/references/{kind}/{reference}", summary="Map a vendor reference")
async def put_reference(
    source: str,
    kind: str,
    reference: str,
    body: ReferenceBody,
    _: AdminKey,
    state: IngestStateDep,
) -> dict[str, str]:
    """Map e.g. Stripe customer `cus_123` (`/stripe/references/customer/cus_123`) to an
    account; webhooks after this one use it."""
    _adapter(state, source)
    ref = Reference(source, kind, reference)
    if not storable(ref):
        raise _unstorable(kind, reference)
    async with state.context.sessions.begin() as session:
        await save_references(session, {ref: body.account_id})
    return {"source": source, "kind": kind, "reference": reference, "account_id": body.account_id}


def _unstorable(kind: str, reference: str) -> InvalidReferenceError:
    part, value = ("kind", kind) if "\x00" in kind else ("reference", reference)
    message = f"{value!r} holds a NUL character (U+0000), which Pulse cannot store"
    return InvalidReferenceError(
        f"invalid {part}: {message}", details=[{"path": f"path.{part}", "message": message}]
    )


@router.delete(
    "/{source}/references/{kind}/{reference}", status_code=204, summary="Forget a reference"
)
async def remove_reference(
    source: str,
    kind: str,
    reference: str,
    _: AdminKey,
    state: IngestStateDep,
) -> None:
    """Forget a mapping; 404 when there was none."""
    _adapter(state, source)
    async with state.context.sessions.begin() as session:
        if not await delete_reference(session, Reference(source, kind, reference)):
            raise NotFoundError(f"no {source} {kind} reference {reference!r}")
