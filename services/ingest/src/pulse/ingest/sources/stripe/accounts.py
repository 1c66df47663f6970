"""Which Pulse account a Stripe event is of, and what Pulse learns of its customer.

An account id is read from `metadata.account_id` (or `metadata.pulse_account_id`) of the
event's object, of the subscription an invoice belongs to, or of the customer when expanded;
the first valid one wins and the customer's account is learned from it. Else the account the
customer is mapped to (`PUT /v1/sources/stripe/references/customer/{id}`), else the event is
`Unmapped`, with the reason saying how to map it. `customer.created` and `customer.updated`
events only teach the customer's account.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulse.ingest.sources.base import (
    Ignored,
    Normalised,
    Reference,
    Unmapped,
    account_id_problem,
)
from pulse.ingest.sources.payload import PayloadObject, as_text
from pulse.ingest.sources.stripe.event import NAME, StripeEvent

_ACCOUNT_METADATA_KEYS = ("account_id", "pulse_account_id")


def event_account(
    event: StripeEvent, known: Mapping[Reference, str], learned: dict[Reference, str]
) -> str | Unmapped:
    customer = customer_id(event.obj)
    reference = Reference(NAME, "customer", customer) if customer is not None else None
    account, problems = _metadata_account(_account_metadata(event))
    if account is not None:
        if reference is not None and known.get(reference) != account:
            learned[reference] = account
        return account
    mapped = known.get(reference) if reference is not None else None
    if mapped is not None:
        return mapped
    reason = _unmapped_reason(event, customer, problems)
    return Unmapped(event.obj.at("customer"), reason, event.id)


def _account_metadata(event: StripeEvent) -> Iterator[tuple[str, object]]:
    """Where an account id may be written, most specific first."""
    obj = event.obj
    yield obj.at("metadata"), obj.get("metadata")
    if event.type.startswith("invoice."):
        # The subscription's metadata as the invoice was made; its place moved in 2025-03-31.
        where = "parent.subscription_details" if event.basil else "subscription_details"
        details: PayloadObject | None = obj
        for field in where.split("."):
            details = details.object_or_none(field) if details is not None else None
        if details is not None:
            yield details.at("metadata"), details.get("metadata")
    customer = obj.object_or_none("customer")
    if customer is not None:  # expanded, in events an integration replays itself
        yield customer.at("metadata"), customer.get("metadata")


def _metadata_account(
    places: Iterable[tuple[str, object]],
) -> tuple[str | None, list[str]]:
    """The first valid account id of the metadata, and why the invalid ones before it are."""
    problems: list[str] = []
    for where, metadata in places:
        if not isinstance(metadata, dict):
            continue
        for key in _ACCOUNT_METADATA_KEYS:
            value = as_text(metadata.get(key))
            if value is None:
                continue
            problem = account_id_problem(value)
            if problem is None:
                return value, problems
            problems.append(f"{where}.{key} {value!r} is not an account id: {problem}")
    return None, problems


def _unmapped_reason(event: StripeEvent, customer: str | None, problems: list[str]) -> str:
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


def learn_customer(event: StripeEvent, known: Mapping[Reference, str], outcome: Normalised) -> None:
    customer = event.obj.required_text("id")
    reference = Reference(NAME, "customer", customer)
    where = event.obj.at("metadata")
    account, problems = _metadata_account([(where, event.obj.get("metadata"))])
    if account is None:
        why = f" ({'; '.join(problems)})" if problems else ""
        outcome.ignored.append(
            Ignored(
                where,
                f"customer {customer} has no metadata.account_id{why}: nothing to learn",
            )
        )
    elif known.get(reference) != account:
        outcome.learned[reference] = account


def customer_id(obj: Mapping[str, Any]) -> str | None:
    customer = obj.get("customer")
    return as_text(customer.get("id")) if isinstance(customer, dict) else as_text(customer)
