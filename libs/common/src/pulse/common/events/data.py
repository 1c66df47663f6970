"""The `data` of each event type (design §3): strict models, unknown fields rejected."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from pulse.common.events.enums import (
    SURVEY_SCORE_RANGE,
    AccountSegment,
    AccountSignalKind,
    ContactChange,
    ContactRole,
    ContractChange,
    ContractReasonCategory,
    MarketingEngagementKind,
    OutageSeverity,
    SurveyKind,
    TicketChannel,
    TicketPriority,
    TouchpointKind,
)
from pulse.common.events.fields import (
    AccountId,
    CalendarDate,
    Count,
    Currency,
    ExternalId,
    Flag,
    Label,
    Money,
    Number,
    Quantity,
    Text,
    Timestamp,
    enum_parser,
)

MAX_AFFECTED_ACCOUNTS = 10_000

Priority = Annotated[TicketPriority, BeforeValidator(enum_parser(TicketPriority))]
Channel = Annotated[TicketChannel, BeforeValidator(enum_parser(TicketChannel))]
Severity = Annotated[OutageSeverity, BeforeValidator(enum_parser(OutageSeverity))]
Role = Annotated[ContactRole, BeforeValidator(enum_parser(ContactRole))]
RoleChange = Annotated[ContactChange, BeforeValidator(enum_parser(ContactChange))]
Touchpoint = Annotated[TouchpointKind, BeforeValidator(enum_parser(TouchpointKind))]
Survey = Annotated[SurveyKind, BeforeValidator(enum_parser(SurveyKind))]
Marketing = Annotated[
    MarketingEngagementKind, BeforeValidator(enum_parser(MarketingEngagementKind))
]
Signal = Annotated[AccountSignalKind, BeforeValidator(enum_parser(AccountSignalKind))]
Segment = Annotated[AccountSegment, BeforeValidator(enum_parser(AccountSegment))]
Change = Annotated[ContractChange, BeforeValidator(enum_parser(ContractChange))]
ReasonCategory = Annotated[
    ContractReasonCategory, BeforeValidator(enum_parser(ContractReasonCategory))
]
Csat = Annotated[int, Strict(), Field(ge=1, le=5)]
SurveyScore = Annotated[int, Strict()]
AffectedAccounts = Annotated[tuple[AccountId, ...], Field(max_length=MAX_AFFECTED_ACCOUNTS)]


class EventData(BaseModel):
    """Base of every `data` model: immutable, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UsageActivityData(EventData):
    """A user did something in the product."""

    user_id: ExternalId
    feature: Label | None = None
    quantity: Quantity = 1.0


class MetricRecordedData(EventData):
    """A custom measure of an account."""

    name: Label
    value: Number


class SupportTicketOpenedData(EventData):
    """A support ticket was opened."""

    ticket_id: ExternalId
    priority: Priority | None = None
    channel: Channel | None = None


class SupportTicketResolvedData(EventData):
    """A support ticket was resolved, perhaps with a satisfaction rating."""

    ticket_id: ExternalId
    csat: Csat | None = None


class OutageData(EventData):
    """An outage started or was resolved; shared by `outage.started` and `outage.resolved`."""

    incident_id: ExternalId
    severity: Severity | None = None
    component: Label | None = None
    affected_account_ids: AffectedAccounts = ()


class InvoiceIssuedData(EventData):
    """An invoice was sent to the customer."""

    invoice_id: ExternalId
    amount: Money
    currency: Currency
    due_at: Timestamp


class InvoicePaidData(EventData):
    """An invoice was paid."""

    invoice_id: ExternalId


class InvoiceOverdueData(EventData):
    """An invoice is past due."""

    invoice_id: ExternalId
    days_overdue: Count | None = None
    amount: Money | None = None
    currency: Currency | None = None


class ContactChangedData(EventData):
    """A contact joined, left or changed role."""

    contact_id: ExternalId
    role: Role
    change: RoleChange
    previous_role: Role | None = None


class EngagementTouchpointData(EventData):
    """A meeting, call or other touchpoint with the customer."""

    kind: Touchpoint
    with_executive: Flag | None = None


class SurveyResponseData(EventData):
    """A survey answer; the score's range depends on the kind (nps 0-10, csat 1-5, ces 1-7)."""

    kind: Survey
    score: SurveyScore
    comment: Text | None = None

    @field_validator("score")
    @classmethod
    def _score_in_range_of_kind(cls, score: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")
        if not isinstance(kind, SurveyKind):
            return score  # the kind error is reported; a range cannot be checked without it
        low, high = SURVEY_SCORE_RANGE[kind]
        if not low <= score <= high:
            raise PydanticCustomError(
                "survey_score_range",
                "expected a {kind} score from {low} to {high}, got {got}",
                {"kind": kind.value, "low": low, "high": high, "got": score},
            )
        return score


class MarketingEngagementData(EventData):
    """A contact engaged with marketing."""

    kind: Marketing


class AccountSignalData(EventData):
    """Something notable about the account, with an optional note."""

    kind: Signal
    note: Text | None = None


class AccountUpdatedData(EventData):
    """New values of account attributes; absent fields are unchanged."""

    name: Label | None = None
    segment: Segment | None = None
    arr: Money | None = None
    currency: Currency | None = None
    owner: Label | None = None
    licensed_seats: Count | None = None
    renewal_date: CalendarDate | None = None
    industry: Label | None = None
    plan: Label | None = None


class ContractChangedData(EventData):
    """A contract was signed, renewed, expanded, contracted or churned."""

    change: Change
    arr_after: Money
    arr_before: Money | None = None
    effective_at: Timestamp
    reason: Text | None = None
    reason_category: ReasonCategory | None = None


__all__ = [
    "AccountSignalData",
    "AccountUpdatedData",
    "ContactChangedData",
    "ContractChangedData",
    "EngagementTouchpointData",
    "EventData",
    "InvoiceIssuedData",
    "InvoiceOverdueData",
    "InvoicePaidData",
    "MarketingEngagementData",
    "MetricRecordedData",
    "OutageData",
    "SupportTicketOpenedData",
    "SupportTicketResolvedData",
    "SurveyResponseData",
    "UsageActivityData",
]
