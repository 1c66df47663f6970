"""The event envelope, one model per event type, and their discriminated union (design §3)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Annotated, Literal, Self, TypeAlias

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from pulse.common.events.data import (
    AccountSignalData,
    AccountUpdatedData,
    ContactChangedData,
    ContractChangedData,
    EngagementTouchpointData,
    EventData,
    InvoiceIssuedData,
    InvoiceOverdueData,
    InvoicePaidData,
    MarketingEngagementData,
    MetricRecordedData,
    OutageData,
    SupportTicketOpenedData,
    SupportTicketResolvedData,
    SurveyResponseData,
    UsageActivityData,
)
from pulse.common.events.fields import AccountId, EventId, OccurredAt, Source

ID_PREFIX = "evt_"


class EventEnvelope(BaseModel):
    """The fields every event carries; each event type fixes `type` and `data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EventId = Field(default="", description="Idempotency key; derived from content if absent.")
    type: str
    account_id: AccountId
    occurred_at: OccurredAt
    source: Source | None = None
    data: EventData

    @model_validator(mode="after")
    def _derive_id_when_absent(self) -> Self:
        if not self.id:
            # The model is frozen; the id is part of validation, so set it once here.
            object.__setattr__(self, "id", derive_event_id(self))
        return self


def canonical_content(event: EventEnvelope) -> bytes:
    """The bytes a derived id hashes: the event without `id` as JSON, keys sorted, nulls dropped."""
    content = event.model_dump(exclude={"id"}, exclude_none=True)
    return orjson.dumps(
        content, default=_canonical_decimal, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
    )


def derive_event_id(event: EventEnvelope) -> str:
    """`evt_` + the first 32 hex digits of the SHA-256 of the event's canonical content."""
    return ID_PREFIX + hashlib.sha256(canonical_content(event)).hexdigest()[:32]


def _canonical_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 1234.50 and 1234.5 are the same amount
    raise TypeError(f"cannot put a {type(value).__name__} into canonical JSON")


class UsageActivity(EventEnvelope):
    """`usage.activity`: a user did something in the product."""

    type: Literal["usage.activity"] = "usage.activity"
    data: UsageActivityData


class MetricRecorded(EventEnvelope):
    """`metric.recorded`: a custom measure of the account."""

    type: Literal["metric.recorded"] = "metric.recorded"
    data: MetricRecordedData


class SupportTicketOpened(EventEnvelope):
    """`support.ticket.opened`: the customer opened a support ticket."""

    type: Literal["support.ticket.opened"] = "support.ticket.opened"
    data: SupportTicketOpenedData


class SupportTicketResolved(EventEnvelope):
    """`support.ticket.resolved`: a support ticket was resolved."""

    type: Literal["support.ticket.resolved"] = "support.ticket.resolved"
    data: SupportTicketResolvedData


class OutageStarted(EventEnvelope):
    """`outage.started`: an incident began."""

    type: Literal["outage.started"] = "outage.started"
    data: OutageData


class OutageResolved(EventEnvelope):
    """`outage.resolved`: an incident ended."""

    type: Literal["outage.resolved"] = "outage.resolved"
    data: OutageData


class InvoiceIssued(EventEnvelope):
    """`invoice.issued`: an invoice was sent."""

    type: Literal["invoice.issued"] = "invoice.issued"
    data: InvoiceIssuedData


class InvoicePaid(EventEnvelope):
    """`invoice.paid`: an invoice was paid."""

    type: Literal["invoice.paid"] = "invoice.paid"
    data: InvoicePaidData


class InvoiceOverdue(EventEnvelope):
    """`invoice.overdue`: an invoice is past due."""

    type: Literal["invoice.overdue"] = "invoice.overdue"
    data: InvoiceOverdueData


class ContactChanged(EventEnvelope):
    """`contact.changed`: a contact joined, left or changed role."""

    type: Literal["contact.changed"] = "contact.changed"
    data: ContactChangedData


class EngagementTouchpoint(EventEnvelope):
    """`engagement.touchpoint`: a meeting, call or other touchpoint took place."""

    type: Literal["engagement.touchpoint"] = "engagement.touchpoint"
    data: EngagementTouchpointData


class SurveyResponse(EventEnvelope):
    """`survey.response`: the customer answered a survey."""

    type: Literal["survey.response"] = "survey.response"
    data: SurveyResponseData


class MarketingEngagement(EventEnvelope):
    """`marketing.engagement`: a contact engaged with marketing."""

    type: Literal["marketing.engagement"] = "marketing.engagement"
    data: MarketingEngagementData


class AccountSignal(EventEnvelope):
    """`account.signal`: something notable was learned about the account."""

    type: Literal["account.signal"] = "account.signal"
    data: AccountSignalData


class AccountUpdated(EventEnvelope):
    """`account.updated`: account attributes changed."""

    type: Literal["account.updated"] = "account.updated"
    data: AccountUpdatedData


class ContractChanged(EventEnvelope):
    """`contract.changed`: a contract was signed, renewed, expanded, contracted or churned."""

    type: Literal["contract.changed"] = "contract.changed"
    data: ContractChangedData


Event: TypeAlias = Annotated[
    UsageActivity
    | MetricRecorded
    | SupportTicketOpened
    | SupportTicketResolved
    | OutageStarted
    | OutageResolved
    | InvoiceIssued
    | InvoicePaid
    | InvoiceOverdue
    | ContactChanged
    | EngagementTouchpoint
    | SurveyResponse
    | MarketingEngagement
    | AccountSignal
    | AccountUpdated
    | ContractChanged,
    # Matched in pydantic's core: `validate_event` trims and lower-cases the type first.
    Field(discriminator="type"),
]

#: Validates any event whose `type` is already normalised (`validate_event` does that);
#: pass `context={"now": datetime}` to fix the clock of the future check.
EventAdapter: TypeAdapter[Event] = TypeAdapter(Event)

#: The model of each event type.
EVENT_MODELS: dict[str, type[EventEnvelope]] = {
    model.model_fields["type"].default: model
    for model in (
        UsageActivity,
        MetricRecorded,
        SupportTicketOpened,
        SupportTicketResolved,
        OutageStarted,
        OutageResolved,
        InvoiceIssued,
        InvoicePaid,
        InvoiceOverdue,
        ContactChanged,
        EngagementTouchpoint,
        SurveyResponse,
        MarketingEngagement,
        AccountSignal,
        AccountUpdated,
        ContractChanged,
    )
}

#: Every event type, sorted.
EVENT_TYPES: tuple[str, ...] = tuple(sorted(EVENT_MODELS))
