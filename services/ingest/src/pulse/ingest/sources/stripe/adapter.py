"""Stripe: invoices become `invoice.issued`, `invoice.paid` and `invoice.overdue`; subscriptions
become `contract.changed`.

Stripe POSTs one event per request (`id`, `type`, `created`, `api_version`, `data.object`,
`data.previous_attributes`), rendered in the API version of the endpoint. Two shapes are read:
before 2025-03-31 (a subscription carries `plan` and `quantity` when it has one item, an
invoice links `subscription`) and from 2025-03-31.basil on (only `items.data[].price`, the
period dates on the items, the invoice's link under `parent.subscription_details`).

- `invoice.created`, `invoice.finalized` → `invoice.issued` (amount due), under one id per
  invoice. Due: `due_date`; else `created` + `days_until_due` days (Stripe defines that field
  from creation); else `created`, as an invoice Stripe charges automatically is due when it is
  charged, right after finalization.
- `invoice.paid` → `invoice.paid`; `invoice.overdue` (API 2024-09-30 on) → `invoice.overdue`;
  `invoice.payment_failed` → `invoice.overdue` once the due moment has passed, else ignored.
  `days_overdue` counts whole days from the due moment to the time the webhook arrives.
- `customer.subscription.created` → `new`, `.deleted` → `churn` (ARR after 0, effective when
  the subscription ended), `.updated` → `expansion` or `contraction` when the ARR changed,
  else ignored (status, schedule, trial or cancel-at-period-end changes).
- `customer.created`, `customer.updated` teach the customer's account from its metadata.

ARR is one subscription's list price over a year, in its currency's major units: the sum
over items of unit amount times billed quantity (after `transform_quantity`) times periods per
year (365 days, 52 weeks, 12 months or 1 year, divided by `interval_count`). Discounts and
taxes are not applied; metered items count 0, as usage is not contracted revenue. A tiered
price has no unit amount in a webhook (Stripe returns `tiers` only when expanded), so its
subscription is ignored.

Accounts: `metadata.account_id` (or `metadata.pulse_account_id`) of the object, of the
subscription an invoice belongs to, or of the customer when expanded; Pulse then learns the
customer's account. Else the account the customer is mapped to
(`PUT /v1/sources/stripe/references/customer/{id}`), else the event is unmapped.

(The event's envelope is read by `event`, an item's annual price by `prices`, the account by
`accounts`, the signature header by `signature`.)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from pulse.common.events.fields import MAX_ID_LENGTH
from pulse.common.events.messages import describe
from pulse.ingest.sources.base import (
    Ignored,
    Normalised,
    Reference,
    SignatureError,
    SourceContext,
    SourceRequest,
    Unmapped,
)
from pulse.ingest.sources.payload import PayloadObject, as_text, is_int
from pulse.ingest.sources.stripe.accounts import customer_id, event_account, learn_customer
from pulse.ingest.sources.stripe.event import NAME, StripeEvent, read_event
from pulse.ingest.sources.stripe.prices import ZERO, Unpriced, annual_minor, first_currency
from pulse.ingest.sources.stripe.signature import check_fresh, parse_signature

SIGNATURE_HEADER = "stripe-signature"
_CUSTOMER_TYPES = frozenset({"customer.created", "customer.updated"})
#: Stripe's API counts amounts of these in whole units, of these in thousandths, of every
#: other currency in hundredths (ISK, HUF and TWD included: https://docs.stripe.com/currencies).
_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
#: `cancellation_details.feedback` → Pulse's reason category; "other" says nothing.
_FEEDBACK_CATEGORIES = {
    "too_expensive": "price",
    "missing_features": "product_fit",
    "switched_service": "product_fit",
    "low_quality": "product_fit",
    "unused": "adoption",
    "too_complex": "adoption",
    "customer_service": "support",
}
_MAX_DAYS_UNTIL_DUE = 36_500


@dataclass(frozen=True, slots=True)
class _Draft:
    """An envelope waiting for its account."""

    id: str
    type: str
    occurred_at: str
    data: dict[str, object]

    def envelope(self, account: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "account_id": account,
            "occurred_at": self.occurred_at,
            "source": NAME,
            "data": self.data,
        }


class StripeAdapter:
    """`/v1/sources/stripe`: a Stripe webhook endpoint."""

    name: str = NAME
    signature_header: str = SIGNATURE_HEADER

    def verify(self, request: SourceRequest) -> None:
        """`Stripe-Signature: t=<unix>,v1=<hex>`: hex HMAC-SHA256 of `"{t}." + body` with the
        endpoint's secret. Any v1 may match, as Stripe signs with old and new secrets while
        one is rolled."""
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not header.strip():
            raise SignatureError("missing Stripe-Signature header")
        signed_at, received = parse_signature(header)
        signed = f"{signed_at}.".encode() + request.body
        expected = hmac.new(request.secret.encode(), signed, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected.encode(), v1) for v1 in received):
            raise SignatureError(
                f"Stripe-Signature: none of its {len(received)} v1 signature(s) matches the "
                "timestamp, the body and this endpoint's signing secret (whsec_...)"
            )
        check_fresh(signed_at, request.received_at, request.tolerance_s)

    def references_needed(self, payload: Any) -> set[Reference]:
        """The event's customer (read leniently: `normalise` reports bad shapes)."""
        data = payload.get("data") if isinstance(payload, dict) else None
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            return set()
        # A type that is not text is no customer event (and a list is not hashable).
        is_customer = isinstance(payload, dict) and as_text(payload.get("type")) in _CUSTOMER_TYPES
        customer = as_text(obj.get("id")) if is_customer else customer_id(obj)
        return set() if customer is None else {Reference(NAME, "customer", customer)}

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """One Stripe event → at most one envelope, or a learned customer."""
        outcome = Normalised()
        event = read_event(payload)
        if event.type in _CUSTOMER_TYPES:
            learn_customer(event, context.known, outcome)
            return outcome
        handler = _HANDLERS.get(event.type)
        if handler is None:
            outcome.ignored.append(
                Ignored("type", f"Stripe event {event.type} is not read; Pulse reads {_READ}")
            )
            return outcome
        account = event_account(event, context.known, outcome.learned)  # learned even if ignored
        draft = handler(event, context.now)
        if isinstance(draft, Ignored):
            outcome.ignored.append(draft)
        elif isinstance(account, Unmapped):
            outcome.unmapped.append(account)
        else:
            outcome.events.append(draft.envelope(account))
        return outcome


# --- invoices ---------------------------------------------------------------------------------


def _invoice_issued(event: StripeEvent, now: datetime) -> _Draft:
    invoice = event.obj
    invoice_id = invoice.required_text("id")
    currency = _currency(invoice)
    # Stripe announces a draft (invoice.created) and, up to days later, the issued invoice
    # (invoice.finalized): both become invoice.issued, under one id derived from the invoice
    # rather than from either Stripe event, so the dedupe downstream keeps one of them.
    return _Draft(
        id=_envelope_id(f"invoice:{invoice_id}:issued"),
        type="invoice.issued",
        occurred_at=_rfc3339(event.created),
        data={
            "invoice_id": invoice_id,
            "amount": _major(_minor(invoice, "amount_due"), currency),
            "currency": currency,
            "due_at": _iso(_due_at(invoice)),
        },
    )


def _invoice_paid(event: StripeEvent, now: datetime) -> _Draft:
    invoice_id = event.obj.required_text("id")
    return _Draft(
        _envelope_id(event.id), "invoice.paid", _rfc3339(event.created), {"invoice_id": invoice_id}
    )


def _invoice_overdue(event: StripeEvent, now: datetime) -> _Draft | Ignored:
    invoice = event.obj
    invoice_id = invoice.required_text("id")
    due_at = _due_at(invoice)
    if event.type == "invoice.payment_failed" and now <= due_at:
        return Ignored(
            invoice.at("due_date"),
            f"a payment of invoice {invoice_id} failed before it is due ({_iso(due_at)}); "
            "Pulse reports an invoice overdue once its due date has passed",
        )
    currency = _currency(invoice)
    return _Draft(
        id=_envelope_id(event.id),
        type="invoice.overdue",
        occurred_at=_rfc3339(event.created),
        data={
            "invoice_id": invoice_id,
            "days_overdue": max(0, (now - due_at).days),
            "amount": _major(_minor(invoice, "amount_remaining"), currency),
            "currency": currency,
        },
    )


def _due_at(invoice: PayloadObject) -> datetime:
    if invoice.get("due_date") is not None:
        return _datetime(invoice.unix_time("due_date"))
    created = _datetime(invoice.unix_time("created"))
    days = invoice.get("days_until_due")
    if days is None:
        return created
    if not is_int(days) or not 0 <= days <= _MAX_DAYS_UNTIL_DUE:
        raise invoice.error("days_until_due", f"expected days, got {describe(days)}")
    try:
        return created + timedelta(days=days)
    except OverflowError:  # created late in the year 9999: no datetime holds the due date
        raise invoice.error(
            "days_until_due", f"{days} days after {_iso(created)} is past the year 9999"
        ) from None


# --- subscriptions ----------------------------------------------------------------------------


def _contract_changed(event: StripeEvent, now: datetime) -> _Draft | Ignored:
    try:
        return _contract_draft(event)
    except Unpriced as unpriced:
        return unpriced.ignored


def _contract_draft(event: StripeEvent) -> _Draft | Ignored:
    subscription = event.obj
    arr = _arr(subscription, event.basil)
    if event.type == "customer.subscription.created":
        return _contract(event, "new", ZERO.quantize(arr), arr, event.created)
    if event.type == "customer.subscription.deleted":
        ended = _first_unix(subscription, ("ended_at", "canceled_at")) or event.created
        return _contract(
            event, "churn", arr, ZERO.quantize(arr), ended, _cancellation(subscription)
        )
    before = _arr(_previous_state(subscription, event.previous, event.basil), event.basil)
    if before == arr:
        changed = ", ".join(sorted(event.previous)) or "nothing"
        return Ignored(
            event.previous.path,
            f"subscription {subscription.text('id')} changed ({changed}) but its ARR "
            f"stays {format(arr, 'f')}; only an ARR change is a contract change",
        )
    change = "expansion" if arr > before else "contraction"
    return _contract(event, change, before, arr, event.created)


def _contract(
    event: StripeEvent,
    change: str,
    before: Decimal,
    after: Decimal,
    effective: int,
    extra: Mapping[str, object] | None = None,
) -> _Draft:
    data: dict[str, object] = {
        "change": change,
        "arr_after": format(after, "f"),
        "arr_before": format(before, "f"),
        "effective_at": _rfc3339(effective),
        **(extra or {}),
    }
    return _Draft(_envelope_id(event.id), "contract.changed", _rfc3339(event.created), data)


def _arr(subscription: PayloadObject, basil: bool) -> Decimal:
    """The subscription's annual list price in major units, to the currency's minor unit."""
    items = _items(subscription, basil)
    currency = subscription.text("currency") or first_currency(items) or "usd"
    exponent = _exponent(currency)
    with localcontext() as context:
        context.prec = 80  # quantities and amounts are 64-bit: exact, never rounded midway
        total = sum((annual_minor(item) for item in items), ZERO)
        return total.scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_EVEN)


def _items(subscription: PayloadObject, basil: bool) -> list[PayloadObject]:
    items = subscription.object_or_none("items")
    data = items.get("data") if items is not None else None
    if items is not None and isinstance(data, list) and data:
        if items.get("has_more") is True:
            raise Unpriced(
                Ignored(items.path, "the webhook lists only some of the subscription's items")
            )
        return list(items.objects("data"))
    plan = subscription.get("plan")
    if not basil and isinstance(plan, dict):
        single = {"plan": plan, "quantity": subscription.get("quantity")}
        return [PayloadObject(single, subscription.path)]
    raise subscription.error("items", "expected the subscription's items in items.data")


def _previous_state(
    subscription: PayloadObject, previous: PayloadObject, basil: bool
) -> PayloadObject:
    """The subscription before the update: `previous_attributes` holds the old value of each
    top-level field that changed."""
    before = {**subscription, **previous}
    old_items = previous.object_or_none("items")
    if old_items is not None and isinstance(old_items.get("data"), list):
        current = {item.optional_text("id"): item for item in _items(subscription, basil)}
        before["items"] = {**old_items, "data": list(_items_as_were(old_items, current))}
    elif not basil and previous.keys() & {"plan", "quantity"}:
        before["items"] = _single_item_as_was(subscription, previous)
    return PayloadObject(before, previous.path)


def _items_as_were(
    old_items: PayloadObject, current: Mapping[str | None, PayloadObject]
) -> Iterator[object]:
    """Each old item over the current item of its id; what is not an object stays as it is,
    for `_items` to report."""
    for index, old in enumerate(old_items["data"]):
        if isinstance(old, dict):
            item_id = PayloadObject(old, f"{old_items.at('data')}.{index}").optional_text("id")
            yield {**current.get(item_id, {}), **old}
        else:
            yield old


def _single_item_as_was(subscription: PayloadObject, previous: PayloadObject) -> Mapping[str, Any]:
    """Before 2025-03-31, a one-item subscription's old `plan`/`quantity` are its item's."""
    items = subscription.object_or_none("items")
    data = items.get("data") if items is not None else None
    if items is None or not isinstance(data, list) or len(data) != 1:
        return items if items is not None else {}
    item = dict(next(items.objects("data")))
    if "quantity" in previous:
        item["quantity"] = previous["quantity"]
    if "plan" in previous:
        item["plan"] = previous["plan"]
        item.pop("price", None)  # the current price; the old one is only known as the plan
    return {**items, "data": [item]}


def _cancellation(subscription: PayloadObject) -> dict[str, object]:
    details = subscription.object_or_none("cancellation_details")
    if details is None:
        return {}
    said = {key: details.text(key) for key in ("reason", "feedback", "comment")}
    parts = [f"{key}: {value}" for key, value in said.items() if value is not None]
    extra: dict[str, object] = {"reason": "; ".join(parts)} if parts else {}
    category = _FEEDBACK_CATEGORIES.get(said["feedback"] or "")
    if category is not None:
        extra["reason_category"] = category
    return extra


# --- money, time, ids -------------------------------------------------------------------------


def _exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit of the currency has."""
    code = currency.upper()
    return 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2


def _major(minor: int, currency: str) -> str:
    """Minor units as an exact decimal string: 1500 USD → "15.00", JPY → "1500", BHD → "1.500"."""
    return format(Decimal(minor).scaleb(-_exponent(currency)), "f")


def _minor(obj: PayloadObject, field: str) -> int:
    value = obj.get(field)
    if not is_int(value):
        raise obj.error(field, f"expected minor units, got {describe(value)}")
    return value


def _currency(obj: PayloadObject) -> str:
    return obj.required_text("currency").upper()


def _envelope_id(key: str) -> str:
    """`stripe:<key>`; a key too long for an event id is hashed (Stripe's ids are short)."""
    candidate = f"{NAME}:{key}"
    if len(candidate) <= MAX_ID_LENGTH:
        return candidate
    return f"{NAME}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _first_unix(obj: PayloadObject, fields: tuple[str, ...]) -> int | None:
    for field in fields:
        if obj.get(field) is not None:
            return obj.unix_time(field)
    return None


def _datetime(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _rfc3339(unix: int) -> str:
    return _iso(_datetime(unix))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_Handler = Callable[[StripeEvent, datetime], _Draft | Ignored]
_HANDLERS: dict[str, _Handler] = {
    "invoice.created": _invoice_issued,
    "invoice.finalized": _invoice_issued,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_overdue,
    "invoice.overdue": _invoice_overdue,
    "customer.subscription.created": _contract_changed,
    "customer.subscription.updated": _contract_changed,
    "customer.subscription.deleted": _contract_changed,
}
_READ = ", ".join(sorted({*_HANDLERS, *_CUSTOMER_TYPES}))
