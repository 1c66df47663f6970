"""The webhook routes: subscriptions, secret rotation, the delivery log, redelivery and
recovery. Thin: each hands over to `pulse.alerts.delivery.management` in one transaction.

Scopes: reads need `read`; managing subscriptions (where data goes, their secrets) needs
`admin`; redelivery and recovery, which only send again what subscriptions already receive,
need `write`.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from pulse.alerts.api.webhook_schemas import DeliveryState, SubscriptionCreate, SubscriptionPatch
from pulse.alerts.delivery import delivery_log, management
from pulse.alerts.delivery.dispatcher import WebhookDispatcher
from pulse.alerts.webhooks.rotation import MAX_OVERLAP
from pulse.alerts.webhooks.secret_keys import generate_secret
from pulse.common.auth import AdminKey, ReadKey, WriteKey
from pulse.common.errors import PulseError
from pulse.common.service import Context

router = APIRouter(prefix="/v1", tags=["webhooks"])


async def _dispatcher(request: Request) -> WebhookDispatcher:
    dispatcher: WebhookDispatcher = request.app.state.webhooks
    return dispatcher


#: The running dispatcher: its clock, its settings, and `wake()` after a change.
Dispatcher = Annotated[WebhookDispatcher, Depends(_dispatcher)]


class BadCursorError(PulseError):
    status_code = 422
    code = "invalid_cursor"


@router.post("/webhooks", status_code=201, summary="Subscribe an endpoint (admin)")
async def create_webhook(
    body: SubscriptionCreate, _: AdminKey, context: Context, dispatcher: Dispatcher
) -> dict[str, Any]:
    """The URL is checked now (its host resolved and every address guarded) and again at
    every attempt. The answer shows the signing secret; no other answer ever does."""
    await management.check_destination(body.url, allow_private=dispatcher.config.allow_private)
    new = management.NewSubscription(
        id="wh_" + secrets.token_hex(12),
        url=body.url,
        event_types=body.event_types,
        account_ids=body.account_ids,
        segments=body.segments,
        enabled=body.enabled,
        ordered=body.ordered,
        secret=generate_secret(os.urandom),
    )
    async with context.sessions.begin() as session:
        created = await management.create_subscription(session, new, dispatcher.clock())
    return {**created, "secret": new.secret}


@router.get("/webhooks", summary="List subscriptions")
async def list_webhooks(_: ReadKey, context: Context) -> dict[str, Any]:
    async with context.reads() as session:
        return {"webhooks": await management.list_subscriptions(session)}


@router.get("/webhooks/{webhook_id}", summary="A subscription")
async def get_webhook(webhook_id: str, _: ReadKey, context: Context) -> dict[str, Any]:
    async with context.reads() as session:
        return await management.get_subscription(session, webhook_id)


@router.patch("/webhooks/{webhook_id}", summary="Change a subscription (admin)")
async def patch_webhook(
    webhook_id: str,
    body: SubscriptionPatch,
    _: AdminKey,
    context: Context,
    dispatcher: Dispatcher,
) -> dict[str, Any]:
    """Fields left out stay; `enabled: true` re-enables and ends the failure streak;
    `enabled: false` gives up the pending deliveries (recover them later)."""
    changes = body.model_dump(include=body.model_fields_set)
    for required in ("url", "event_types", "enabled", "ordered"):
        if required in changes and changes[required] is None:
            raise PulseError(
                f"{required} cannot be null",
                details=[{"path": f"body.{required}", "message": "may not be null"}],
            )
    if "url" in changes:
        await management.check_destination(
            changes["url"], allow_private=dispatcher.config.allow_private
        )
    async with context.sessions.begin() as session:
        updated = await management.update_subscription(
            session, webhook_id, changes, dispatcher.clock()
        )
    dispatcher.wake()
    return updated


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Delete a subscription (admin)")
async def delete_webhook(webhook_id: str, _: AdminKey, context: Context) -> Response:
    """Deletes its deliveries and their log too."""
    async with context.sessions.begin() as session:
        await management.delete_subscription(session, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", summary="Rotate the secret (admin)")
async def rotate_webhook_secret(
    webhook_id: str,
    _: AdminKey,
    context: Context,
    dispatcher: Dispatcher,
    overlap: Annotated[
        float | None,
        Query(
            ge=0,
            le=MAX_OVERLAP.total_seconds(),
            description="Seconds the old secret keeps signing (0 to 7 days); default "
            "PULSE_WEBHOOK_ROTATION_OVERLAP_S (24 h).",
        ),
    ] = None,
) -> dict[str, Any]:
    """The new secret is in this answer only. Until the overlap ends both secrets sign."""
    new_secret = generate_secret(os.urandom)
    async with context.sessions.begin() as session:
        rotated = await management.rotate_secret(
            session,
            webhook_id,
            new_secret,
            dispatcher.config.rotation_overlap if overlap is None else timedelta(seconds=overlap),
            dispatcher.clock(),
        )
    return {**rotated, "secret": new_secret}


@router.get("/webhooks/{webhook_id}/deliveries", summary="The delivery log, newest first")
async def list_webhook_deliveries(
    webhook_id: str,
    _: ReadKey,
    context: Context,
    state: DeliveryState | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Keyset pagination: pass `next_cursor` back as `cursor` for the next page."""
    before = _read_cursor(cursor) if cursor else None
    async with context.reads() as session:
        rows = await delivery_log.list_deliveries(
            session, webhook_id, state=state, before_id=before, limit=limit + 1
        )
    page, more = rows[:limit], len(rows) > limit
    return {"deliveries": page, "next_cursor": str(page[-1]["id"]) if more else None}


@router.post(
    "/deliveries/{delivery_id}/redeliver", status_code=202, summary="Redeliver now (write)"
)
async def redeliver(
    delivery_id: int, _: WriteKey, context: Context, dispatcher: Dispatcher
) -> dict[str, Any]:
    """A new attempt now with the same `webhook-id`: for a delivered or given-up delivery
    one attempt outside the schedule, sent even when the subscription is disabled (which
    stays disabled); a pending one is simply due now."""
    async with context.sessions.begin() as session:
        result = await delivery_log.redeliver(session, delivery_id, dispatcher.clock())
    dispatcher.wake()
    return result


@router.post(
    "/webhooks/{webhook_id}/recover", status_code=202, summary="Resend given-up deliveries (write)"
)
async def recover_webhook(
    webhook_id: str,
    since: datetime,
    _: WriteKey,
    context: Context,
    dispatcher: Dispatcher,
) -> dict[str, Any]:
    """Every given-up delivery created since `since` gets one more attempt; the
    subscription must be enabled."""
    if since.tzinfo is None:
        raise PulseError(
            "since needs a time zone (say 2026-12-01T00:00:00Z)",
            details=[{"path": "query.since", "message": "a time zone is required"}],
        )
    async with context.sessions.begin() as session:
        count = await delivery_log.recover(session, webhook_id, since, dispatcher.clock())
    dispatcher.wake()
    return {"webhook_id": webhook_id, "recovering": count}


def _read_cursor(cursor: str) -> int:
    if not cursor.isascii() or not cursor.isdigit():
        raise BadCursorError("cursor is not one this API handed out")
    return int(cursor)
