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
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, TypeGuard

from pydantic_core import PydanticCustomError

from pulse.common.events.fields import MAX_ID_LENGTH, parse_account_id
from pulse.common.events.messages import describe, json_type
from pulse.ingest.sources.base import (
    DEFAULT_SIGNATURE_TOLERANCE_S,
    Ignored,
    Normalised,
    PayloadError,
    Reference,
    SignatureError,
    SourceContext,
    Unmapped,
)
from pulse.ingest.sources.stripe_signature import check_fresh, parse_signature

NAME = "stripe"
SIGNATURE_HEADER = "stripe-signature"
#: The first API version without top-level `plan`/`quantity` on subscriptions and with the
#: invoice's subscription under `parent.subscription_details`.
BASIL_API_VERSION = "2025-03-31"
_ACCOUNT_METADATA_KEYS = ("account_id", "pulse_account_id")
_CUSTOMER_TYPES = frozenset({"customer.created", "customer.updated"})
#: Stripe's API counts amounts of these in whole units, of these in thousandths, of every
#: other currency in hundredths (ISK, HUF and TWD included: https://docs.stripe.com/currencies).
_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
_PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12, "year": 1}
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
_MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z
_MAX_DAYS_UNTIL_DUE = 36_500
_PLAIN_DECIMAL = re.compile(r"\d{1,30}(\.\d{1,30})?", re.ASCII)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class _StripeEvent:
    """The parts of a Stripe event Pulse reads."""

    id: str
    type: str
    created: int
    basil: bool  # the 2025-03-31 shapes
    obj: Mapping[str, Any]
    previous: Mapping[str, Any]


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


class _Unpriced(Exception):
    """A subscription whose ARR the webhook does not tell; it becomes `Ignored`."""

    def __init__(self, ignored: Ignored) -> None:
        super().__init__(ignored.reason)
        self.ignored = ignored


class StripeAdapter:
    """`/v1/sources/stripe`: a Stripe webhook endpoint."""

    name: str = NAME
    signature_header: str = SIGNATURE_HEADER

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secret: str,
        now: datetime,
        tolerance_s: int = DEFAULT_SIGNATURE_TOLERANCE_S,
    ) -> None:
        """`Stripe-Signature: t=<unix>,v1=<hex>`: hex HMAC-SHA256 of `"{t}." + body` with the
        endpoint's secret. Any v1 may match, as Stripe signs with old and new secrets while
        one is rolled."""
        header = headers.get(SIGNATURE_HEADER, "")
        if not header.strip():
            raise SignatureError("missing Stripe-Signature header")
        signed_at, received = parse_signature(header)
        expected = hmac.new(
            secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected.encode(), v1) for v1 in received):
            raise SignatureError(
                f"Stripe-Signature: none of its {len(received)} v1 signature(s) matches the "
                "timestamp, the body and this endpoint's signing secret (whsec_...)"
            )
        check_fresh(signed_at, now, tolerance_s)

    def references_needed(self, payload: Any) -> set[Reference]:
        """The event's customer (read leniently: `normalise` reports bad shapes)."""
        data = payload.get("data") if isinstance(payload, dict) else None
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            return set()
        is_customer = isinstance(payload, dict) and payload.get("type") in _CUSTOMER_TYPES
        customer = _text(obj.get("id")) if is_customer else _customer_id(obj)
        return set() if customer is None else {Reference(NAME, "customer", customer)}

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """One Stripe event → at most one envelope, or a learned customer."""
        outcome = Normalised()
        event = _read_event(payload)
        if event.type in _CUSTOMER_TYPES:
            _learn_customer(event, context.known, outcome)
            return outcome
        handler = _HANDLERS.get(event.type)
        if handler is None:
            outcome.ignored.append(
                Ignored("type", f"Stripe event {event.type} is not read; Pulse reads {_READ}")
            )
            return outcome
        account = _account(event, context.known, outcome.learned)  # learned even if ignored
        draft = handler(event, context.now)
        if isinstance(draft, Ignored):
            outcome.ignored.append(draft)
        elif isinstance(account, Unmapped):
            outcome.unmapped.append(account)
        else:
            outcome.events.append(draft.envelope(account))
        return outcome


def _read_event(payload: Any) -> _StripeEvent:
    if not isinstance(payload, dict):
        raise PayloadError("", f"expected a Stripe event object, got {json_type(payload)}")
    kind = payload.get("object", "event")
    if kind != "event":  # e.g. an invoice posted by hand, or a thin "v2.core.event"
        raise PayloadError("object", f"expected a Stripe event ('event'), got {describe(kind)}")
    event_type = _required_text(payload, "type", "")
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        got = json_type(obj) if isinstance(data, dict) and "object" in data else "nothing"
        raise PayloadError("data.object", f"expected the object the event is about, got {got}")
    previous = data.get("previous_attributes") if isinstance(data, dict) else None
    return _StripeEvent(
        id=_required_text(payload, "id", ""),
        type=event_type,
        created=_unix(payload.get("created"), "created"),
        basil=_is_basil(payload.get("api_version"), obj),
        obj=obj,
        previous={} if previous is None else _object(previous, "data.previous_attributes"),
    )


def _is_basil(api_version: object, obj: Mapping[str, Any]) -> bool:
    """Stripe renders events in the endpoint's API version; without one, the shape tells."""
    if isinstance(api_version, str) and re.match(r"\d{4}-\d{2}-\d{2}", api_version):
        return api_version[:10] >= BASIL_API_VERSION
    if obj.get("object") == "subscription":
        return "plan" not in obj
    return "parent" in obj


# --- invoices ---------------------------------------------------------------------------------


def _invoice_issued(event: _StripeEvent, now: datetime) -> _Draft:
    invoice = event.obj
    invoice_id = _required_text(invoice, "id", "data.object")
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


def _invoice_paid(event: _StripeEvent, now: datetime) -> _Draft:
    invoice_id = _required_text(event.obj, "id", "data.object")
    return _Draft(
        _envelope_id(event.id), "invoice.paid", _rfc3339(event.created), {"invoice_id": invoice_id}
    )


def _invoice_overdue(event: _StripeEvent, now: datetime) -> _Draft | Ignored:
    invoice = event.obj
    invoice_id = _required_text(invoice, "id", "data.object")
    due_at = _due_at(invoice)
    if event.type == "invoice.payment_failed" and now <= due_at:
        return Ignored(
            "data.object.due_date",
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


def _due_at(invoice: Mapping[str, Any]) -> datetime:
    due_date = invoice.get("due_date")
    if due_date is not None:
        return _datetime(_unix(due_date, "data.object.due_date"))
    created = _datetime(_unix(invoice.get("created"), "data.object.created"))
    days = invoice.get("days_until_due")
    if days is None:
        return created
    if not _is_int(days) or not 0 <= days <= _MAX_DAYS_UNTIL_DUE:
        raise PayloadError("data.object.days_until_due", f"expected days, got {describe(days)}")
    return created + timedelta(days=days)


# --- subscriptions ----------------------------------------------------------------------------


def _contract_changed(event: _StripeEvent, now: datetime) -> _Draft | Ignored:
    try:
        return _contract_draft(event)
    except _Unpriced as unpriced:
        return unpriced.ignored


def _contract_draft(event: _StripeEvent) -> _Draft | Ignored:
    subscription = event.obj
    arr = _arr(subscription, "data.object", event.basil)
    if event.type == "customer.subscription.created":
        return _contract(event, "new", _ZERO.quantize(arr), arr, event.created)
    if event.type == "customer.subscription.deleted":
        ended = _first_unix(subscription, ("ended_at", "canceled_at")) or event.created
        return _contract(
            event, "churn", arr, _ZERO.quantize(arr), ended, _cancellation(subscription)
        )
    before_state = _previous_state(subscription, event.previous, event.basil)
    before = _arr(before_state, "data.previous_attributes", event.basil)
    if before == arr:
        changed = ", ".join(sorted(event.previous)) or "nothing"
        return Ignored(
            "data.previous_attributes",
            f"subscription {_text(subscription.get('id'))} changed ({changed}) but its ARR "
            f"stays {format(arr, 'f')}; only an ARR change is a contract change",
        )
    change = "expansion" if arr > before else "contraction"
    return _contract(event, change, before, arr, event.created)


def _contract(
    event: _StripeEvent,
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


def _arr(subscription: Mapping[str, Any], path: str, basil: bool) -> Decimal:
    """The subscription's annual list price in major units, to the currency's minor unit."""
    items = _items(subscription, path, basil)
    currency = _text(subscription.get("currency")) or _first_currency(items) or "usd"
    exponent = _exponent(currency)
    with localcontext() as context:
        context.prec = 80  # quantities and amounts are 64-bit: exact, never rounded midway
        total = sum((_annual_minor(item, at) for at, item in items), _ZERO)
        return total.scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_EVEN)


def _items(
    subscription: Mapping[str, Any], path: str, basil: bool
) -> list[tuple[str, Mapping[str, Any]]]:
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    if isinstance(data, list) and data:
        if items is not None and items.get("has_more") is True:
            raise _Unpriced(
                Ignored(f"{path}.items", "the webhook lists only some of the subscription's items")
            )
        return [
            (f"{path}.items.data.{i}", _object(item, f"{path}.items.data.{i}"))
            for i, item in enumerate(data)
        ]
    plan = subscription.get("plan")
    if not basil and isinstance(plan, dict):
        return [(path, {"plan": plan, "quantity": subscription.get("quantity")})]
    raise PayloadError(f"{path}.items", "expected the subscription's items in items.data")


def _previous_state(
    subscription: Mapping[str, Any], previous: Mapping[str, Any], basil: bool
) -> dict[str, Any]:
    """The subscription before the update: `previous_attributes` holds the old value of each
    top-level field that changed."""
    before = {**subscription, **previous}
    old_items = previous.get("items")
    if isinstance(old_items, dict) and isinstance(old_items.get("data"), list):
        current = {item.get("id"): item for _, item in _items(subscription, "data.object", basil)}
        merged = [
            {**current.get(old.get("id"), {}), **old} if isinstance(old, dict) else old
            for old in old_items["data"]
        ]
        before["items"] = {**old_items, "data": merged}
    elif not basil and previous.keys() & {"plan", "quantity"}:
        before["items"] = _single_item_as_was(subscription, previous)
    return before


def _single_item_as_was(
    subscription: Mapping[str, Any], previous: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Before 2025-03-31, a one-item subscription's old `plan`/`quantity` are its item's."""
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    if items is None or not isinstance(data, list) or len(data) != 1:
        return items if isinstance(items, dict) else {}
    item = dict(_object(data[0], "data.object.items.data.0"))
    if "quantity" in previous:
        item["quantity"] = previous["quantity"]
    if "plan" in previous:
        item["plan"] = previous["plan"]
        item.pop("price", None)  # the current price; the old one is only known as the plan
    return {**items, "data": [item]}


@dataclass(frozen=True, slots=True)
class _Rate:
    """What one subscription item costs per unit and billing period."""

    unit_amount: Decimal | None  # minor units, perhaps fractional; None when tiered
    currency: str | None
    periods_per_year: Decimal
    metered: bool
    divide_by: int = 1
    round_up: bool = False


def _annual_minor(item: Mapping[str, Any], path: str) -> Decimal:
    rate = _rate(item, path)
    if rate.metered:
        return _ZERO
    if rate.unit_amount is None:
        raise _Unpriced(
            Ignored(
                path,
                f"subscription item {_text(item.get('id'))} has a tiered price, whose tiers a "
                "webhook does not carry, so Pulse cannot tell the ARR; send contract.changed "
                "to POST /v1/events instead",
            )
        )
    quantity = item.get("quantity")
    if quantity is None:
        quantity = 1  # Stripe's default quantity
    if not _is_int(quantity) or quantity < 0:
        raise PayloadError(f"{path}.quantity", f"expected a count, got {describe(quantity)}")
    units = (Decimal(quantity) / rate.divide_by).to_integral_value(
        ROUND_CEILING if rate.round_up else ROUND_FLOOR
    )
    return rate.unit_amount * units * rate.periods_per_year


def _rate(item: Mapping[str, Any], path: str) -> _Rate:
    price = item.get("price")
    if isinstance(price, dict) and isinstance(price.get("recurring"), dict):
        at = f"{path}.price"
        recurring = price["recurring"]
        transform = price.get("transform_quantity")
        divide_by, round_up = _transform(transform, f"{at}.transform_quantity")
        return _Rate(
            unit_amount=_unit_amount(price, "unit_amount", at),
            currency=_text(price.get("currency")),
            periods_per_year=_periods_per_year(recurring, f"{at}.recurring"),
            metered=recurring.get("usage_type") == "metered",
            divide_by=divide_by,
            round_up=round_up,
        )
    plan = item.get("plan")
    if isinstance(plan, dict):  # before prices (and beside them until 2025-03-31)
        return _Rate(
            unit_amount=_unit_amount(plan, "amount", f"{path}.plan"),
            currency=_text(plan.get("currency")),
            periods_per_year=_periods_per_year(plan, f"{path}.plan"),
            metered=plan.get("usage_type") == "metered",
        )
    raise PayloadError(path, "expected a recurring price or a plan")


def _unit_amount(rate: Mapping[str, Any], field: str, path: str) -> Decimal | None:
    """`<field>_decimal` (a string that may hold fractions of a cent), else `<field>`."""
    precise = rate.get(f"{field}_decimal")
    if isinstance(precise, str) and _PLAIN_DECIMAL.fullmatch(precise.strip()):
        return Decimal(precise.strip())
    amount = rate.get(field)
    if amount is None:
        return None
    if not _is_int(amount) or amount < 0:
        raise PayloadError(f"{path}.{field}", f"expected minor units, got {describe(amount)}")
    return Decimal(amount)


def _periods_per_year(recurring: Mapping[str, Any], path: str) -> Decimal:
    interval = recurring.get("interval")
    count = recurring.get("interval_count")
    count = 1 if count is None else count
    if interval not in _PERIODS_PER_YEAR:
        expected = ", ".join(_PERIODS_PER_YEAR)
        raise PayloadError(
            f"{path}.interval", f"expected one of {expected}, got {describe(interval)}"
        )
    if not _is_int(count) or count < 1:
        raise PayloadError(f"{path}.interval_count", f"expected 1 or more, got {describe(count)}")
    return Decimal(_PERIODS_PER_YEAR[interval]) / Decimal(count)


def _transform(transform: object, path: str) -> tuple[int, bool]:
    """`transform_quantity` bills per `divide_by` units (e.g. per 10 seats), rounded up or down."""
    if not isinstance(transform, dict):
        return 1, False
    divide_by = transform.get("divide_by")
    if not _is_int(divide_by) or divide_by < 1:
        raise PayloadError(f"{path}.divide_by", f"expected 1 or more, got {describe(divide_by)}")
    return divide_by, transform.get("round") == "up"


def _first_currency(items: list[tuple[str, Mapping[str, Any]]]) -> str | None:
    """Every item of a subscription bills in its currency; the first one names it."""
    for path, item in items:
        return _rate(item, path).currency
    return None


def _cancellation(subscription: Mapping[str, Any]) -> dict[str, object]:
    details = subscription.get("cancellation_details")
    if not isinstance(details, dict):
        return {}
    said = {key: _text(details.get(key)) for key in ("reason", "feedback", "comment")}
    parts = [f"{key}: {value}" for key, value in said.items() if value is not None]
    extra: dict[str, object] = {"reason": "; ".join(parts)} if parts else {}
    category = _FEEDBACK_CATEGORIES.get(said["feedback"] or "")
    if category is not None:
        extra["reason_category"] = category
    return extra


# --- accounts ---------------------------------------------------------------------------------


def _account(
    event: _StripeEvent, known: Mapping[Reference, str], learned: dict[Reference, str]
) -> str | Unmapped:
    customer = _customer_id(event.obj)
    reference = Reference(NAME, "customer", customer) if customer is not None else None
    account, problems = _metadata_account(_account_metadata(event))
    if account is not None:
        if reference is not None and known.get(reference) != account:
            learned[reference] = account
        return account
    mapped = known.get(reference) if reference is not None else None
    if mapped is not None:
        return mapped
    return Unmapped("data.object.customer", _unmapped_reason(event, customer, problems), event.id)


def _account_metadata(event: _StripeEvent) -> Iterator[tuple[str, object]]:
    """Where an account id may be written, most specific first."""
    obj = event.obj
    yield "data.object.metadata", obj.get("metadata")
    if event.type.startswith("invoice."):
        # The subscription's metadata as the invoice was made; its place moved in 2025-03-31.
        where = "parent.subscription_details" if event.basil else "subscription_details"
        details: object = obj
        for field in where.split("."):
            details = details.get(field) if isinstance(details, dict) else None
        if isinstance(details, dict):
            yield f"data.object.{where}.metadata", details.get("metadata")
    customer = obj.get("customer")
    if isinstance(customer, dict):  # expanded, in events an integration replays itself
        yield "data.object.customer.metadata", customer.get("metadata")


def _metadata_account(
    places: Iterable[tuple[str, object]],
) -> tuple[str | None, list[str]]:
    """The first valid account id of the metadata, and why the invalid ones before it are."""
    problems: list[str] = []
    for where, metadata in places:
        if not isinstance(metadata, dict):
            continue
        for key in _ACCOUNT_METADATA_KEYS:
            value = _text(metadata.get(key))
            if value is None:
                continue
            problem = _account_id_problem(value)
            if problem is None:
                return value, problems
            problems.append(f"{where}.{key} {value!r} is not an account id: {problem}")
    return None, problems


def _unmapped_reason(event: _StripeEvent, customer: str | None, problems: list[str]) -> str:
    kind = "invoice" if event.type.startswith("invoice.") else "subscription"
    if customer is None:
        reason = f"the {kind} has no customer: set metadata.account_id on the {kind} in Stripe"
    else:
        reason = (
            f"Stripe customer {customer} is not mapped to an account: set metadata.account_id "
            f"on the customer in Stripe (Pulse learns it from the customer.updated webhook) or "
            f"on the {kind}, or map it with "
            f"PUT /v1/sources/stripe/references/customer/{customer}"
        )
    return reason + (f" ({'; '.join(problems)})" if problems else "")


def _learn_customer(
    event: _StripeEvent, known: Mapping[Reference, str], outcome: Normalised
) -> None:
    customer = _required_text(event.obj, "id", "data.object")
    reference = Reference(NAME, "customer", customer)
    account, problems = _metadata_account([("data.object.metadata", event.obj.get("metadata"))])
    if account is None:
        why = f" ({'; '.join(problems)})" if problems else ""
        outcome.ignored.append(
            Ignored(
                "data.object.metadata",
                f"customer {customer} has no metadata.account_id{why}: nothing to learn",
            )
        )
    elif known.get(reference) != account:
        outcome.learned[reference] = account


def _customer_id(obj: Mapping[str, Any]) -> str | None:
    customer = obj.get("customer")
    return _text(customer.get("id")) if isinstance(customer, dict) else _text(customer)


def _account_id_problem(candidate: str) -> str | None:
    try:
        parse_account_id(candidate)
    except PydanticCustomError as error:
        return error.message()
    return None


# --- money, time, ids -------------------------------------------------------------------------


def _exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit of the currency has."""
    code = currency.upper()
    return 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2


def _major(minor: int, currency: str) -> str:
    """Minor units as an exact decimal string: 1500 USD → "15.00", JPY → "1500", BHD → "1.500"."""
    return format(Decimal(minor).scaleb(-_exponent(currency)), "f")


def _minor(obj: Mapping[str, Any], field: str) -> int:
    value = obj.get(field)
    if not _is_int(value):
        raise PayloadError(f"data.object.{field}", f"expected minor units, got {describe(value)}")
    return value


def _currency(obj: Mapping[str, Any]) -> str:
    return _required_text(obj, "currency", "data.object").upper()


def _envelope_id(key: str) -> str:
    """`stripe:<key>`; a key too long for an event id is hashed (Stripe's ids are short)."""
    candidate = f"{NAME}:{key}"
    if len(candidate) <= MAX_ID_LENGTH:
        return candidate
    return f"{NAME}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _first_unix(obj: Mapping[str, Any], fields: tuple[str, ...]) -> int | None:
    for field in fields:
        if obj.get(field) is not None:
            return _unix(obj[field], f"data.object.{field}")
    return None


def _unix(value: object, path: str) -> int:
    if not _is_int(value) or not 0 <= value <= _MAX_UNIX:
        raise PayloadError(path, f"expected a unix time in seconds, got {describe(value)}")
    return value


def _datetime(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _rfc3339(unix: int) -> str:
    return _iso(_datetime(unix))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- JSON -------------------------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    """A trimmed, non-empty string (Stripe's ids, codes and metadata values are strings)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _required_text(body: Mapping[str, Any], field: str, path: str) -> str:
    value = _text(body.get(field))
    if value is None:
        got = describe(body[field]) if field in body else "nothing"
        raise PayloadError(
            f"{path}.{field}" if path else field, f"expected a non-empty string, got {got}"
        )
    return value


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(path, f"expected an object, got {json_type(value)}")
    return value


_Handler = Callable[[_StripeEvent, datetime], _Draft | Ignored]
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
