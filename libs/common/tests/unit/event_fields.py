"""Per-field specs of the event envelope and of every type's `data`, with their helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from pulse.common.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    SURVEY_SCORE_RANGE,
    AccountSegment,
    AccountSignalKind,
    ContactChange,
    ContactRole,
    ContractChange,
    ContractReasonCategory,
    EventData,
    MarketingEngagementKind,
    OutageSeverity,
    SurveyKind,
    TicketChannel,
    TicketPriority,
    TouchpointKind,
)

from .event_values import (
    ACCOUNT_ID_CHARS,
    MAX_COUNT,
    Render,
    account_ids,
    account_list_spellings,
    amount_spellings,
    amounts,
    bad_amounts,
    bad_currencies,
    bad_dates,
    bad_enum_values,
    blank_ids,
    counts,
    currencies,
    data_times,
    date_spellings,
    enum_members,
    enum_spellings,
    event_ids,
    external_ids,
    future_times,
    naive_timestamps,
    not_amounts,
    not_arrays,
    not_flags,
    not_integers,
    not_numbers,
    not_strings,
    number_spellings,
    numbers,
    occurrence_times,
    odd_case,
    padded,
    quantities,
    same,
    sources,
    texts,
    timestamp_spellings,
    too_long_event_ids,
    too_long_external_ids,
    unparseable_timestamps,
)

# --- fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """How to draw one field: canonical values, their raw spellings, and invalid values."""

    values: st.SearchStrategy[Any]
    render: Render = same
    wrong_type: st.SearchStrategy[Any] = not_strings
    out_of_range: st.SearchStrategy[Any] | None = None


def _enum_field(enum: type[StrEnum]) -> FieldSpec:
    return FieldSpec(enum_members(enum), enum_spellings, not_strings, bad_enum_values(enum))


EXTERNAL_ID = FieldSpec(
    external_ids, padded, not_strings, st.one_of(too_long_external_ids, blank_ids)
)
AMOUNT = FieldSpec(amounts(), amount_spellings, not_amounts, bad_amounts)
CURRENCY = FieldSpec(currencies, odd_case, not_strings, bad_currencies)
COUNT = FieldSpec(
    counts,
    same,
    not_integers,
    st.one_of(st.integers(-(2**63), -1), st.integers(MAX_COUNT + 1, 2**64 - 1)),
)
TEXT = FieldSpec(texts, same, not_strings, st.text("x", min_size=10_001, max_size=10_001))
DATA_TIME = FieldSpec(data_times, timestamp_spellings, not_strings, unparseable_timestamps)
NUMBER = FieldSpec(numbers, number_spellings, not_numbers)

#: Envelope fields other than `type` and `data`.
ENVELOPE: dict[str, FieldSpec] = {
    "id": FieldSpec(event_ids, padded, not_strings, st.one_of(too_long_event_ids, blank_ids)),
    "account_id": FieldSpec(
        account_ids,
        padded,
        not_strings,
        st.one_of(st.text(ACCOUNT_ID_CHARS, min_size=129, max_size=140), blank_ids),
    ),
    "occurred_at": FieldSpec(
        occurrence_times,
        timestamp_spellings,
        not_strings,
        st.one_of(
            unparseable_timestamps, naive_timestamps, future_times.flatmap(timestamp_spellings)
        ),
    ),
    "source": FieldSpec(sources, same, not_strings, st.text("x", min_size=129, max_size=140)),
}


@dataclass(frozen=True)
class DataSpec:
    """The fields of one type's `data`."""

    required: dict[str, FieldSpec]
    optional: dict[str, FieldSpec] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, FieldSpec]:
        return {**self.required, **self.optional}


_OUTAGE = DataSpec(
    {"incident_id": EXTERNAL_ID},
    {
        "severity": _enum_field(OutageSeverity),
        "component": EXTERNAL_ID,
        "affected_account_ids": FieldSpec(
            st.lists(account_ids, max_size=4).map(tuple),
            account_list_spellings,
            not_arrays,
            st.lists(account_ids, max_size=3).map(lambda ids: [*ids, "not an account"]),
        ),
    },
)
_SCORE = FieldSpec(st.integers(0, 10), same, not_integers)  # drawn per kind: `canonical_data`

DATA: dict[str, DataSpec] = {
    "usage.activity": DataSpec(
        {"user_id": EXTERNAL_ID},
        {
            "feature": EXTERNAL_ID,
            "quantity": FieldSpec(
                quantities,
                number_spellings,
                not_numbers,
                st.floats(max_value=-1e-300, allow_infinity=False),
            ),
        },
    ),
    "metric.recorded": DataSpec({"name": EXTERNAL_ID, "value": NUMBER}),
    "support.ticket.opened": DataSpec(
        {"ticket_id": EXTERNAL_ID},
        {"priority": _enum_field(TicketPriority), "channel": _enum_field(TicketChannel)},
    ),
    "support.ticket.resolved": DataSpec(
        {"ticket_id": EXTERNAL_ID},
        {
            "csat": FieldSpec(
                st.integers(1, 5),
                same,
                not_integers,
                st.one_of(st.integers(-(2**63), 0), st.integers(6, 2**64 - 1)),
            )
        },
    ),
    "outage.started": _OUTAGE,
    "outage.resolved": _OUTAGE,
    "invoice.issued": DataSpec(
        {"invoice_id": EXTERNAL_ID, "amount": AMOUNT, "currency": CURRENCY, "due_at": DATA_TIME}
    ),
    "invoice.paid": DataSpec({"invoice_id": EXTERNAL_ID}),
    "invoice.overdue": DataSpec(
        {"invoice_id": EXTERNAL_ID}, {"days_overdue": COUNT, "amount": AMOUNT, "currency": CURRENCY}
    ),
    "contact.changed": DataSpec(
        {
            "contact_id": EXTERNAL_ID,
            "role": _enum_field(ContactRole),
            "change": _enum_field(ContactChange),
        },
        {"previous_role": _enum_field(ContactRole)},
    ),
    "engagement.touchpoint": DataSpec(
        {"kind": _enum_field(TouchpointKind)},
        {"with_executive": FieldSpec(st.booleans(), same, not_flags)},
    ),
    "survey.response": DataSpec(
        {"kind": _enum_field(SurveyKind), "score": _SCORE}, {"comment": TEXT}
    ),
    "marketing.engagement": DataSpec({"kind": _enum_field(MarketingEngagementKind)}),
    "account.signal": DataSpec({"kind": _enum_field(AccountSignalKind)}, {"note": TEXT}),
    "account.updated": DataSpec(
        {},
        {
            "name": EXTERNAL_ID,
            "segment": _enum_field(AccountSegment),
            "arr": AMOUNT,
            "currency": CURRENCY,
            "owner": EXTERNAL_ID,
            "licensed_seats": COUNT,
            "renewal_date": FieldSpec(st.dates(), date_spellings, not_strings, bad_dates),
            "industry": EXTERNAL_ID,
            "plan": EXTERNAL_ID,
        },
    ),
    "contract.changed": DataSpec(
        {"change": _enum_field(ContractChange), "arr_after": AMOUNT, "effective_at": DATA_TIME},
        {
            "arr_before": AMOUNT,
            "reason": TEXT,
            "reason_category": _enum_field(ContractReasonCategory),
        },
    ),
}


def data_model(event_type: str) -> type[EventData]:
    """The model of one type's `data`."""
    model = EVENT_MODELS[event_type].model_fields["data"].annotation
    assert isinstance(model, type)
    assert issubclass(model, EventData)
    return model


assert set(DATA) == set(EVENT_TYPES), set(DATA) ^ set(EVENT_TYPES)
for _type, _spec in DATA.items():  # the specs follow the models, field for field
    _fields = data_model(_type).model_fields
    assert set(_fields) == set(_spec.fields), _type
    assert {n for n, f in _fields.items() if f.is_required()} == set(_spec.required), _type


def data_fields(event_type: str) -> list[str]:
    """The data fields of one type, in the model's order (the order errors are reported in)."""
    return list(data_model(event_type).model_fields)


def data_default(event_type: str, name: str) -> Any:
    """The value a data field takes when absent (`None`, or e.g. `quantity` 1.0)."""
    return data_model(event_type).model_fields[name].default


def nullable(event_type: str, name: str) -> bool:
    """Whether `null` is a valid value of a data field (optional fields defaulting to None)."""
    return name not in DATA[event_type].required and data_default(event_type, name) is None


def survey_scores(kind: SurveyKind) -> st.SearchStrategy[int]:
    low, high = SURVEY_SCORE_RANGE[kind]
    return st.integers(low, high)


def replacement_values(
    event_type: str, name: str, data: Mapping[str, Any]
) -> st.SearchStrategy[Any]:
    """Valid canonical values of one data field of an event whose other fields are `data`."""
    if event_type == "survey.response" and name == "score":
        return survey_scores(data["kind"])
    if event_type == "survey.response" and name == "kind":
        score = data["score"]
        kinds = [k for k, (low, high) in SURVEY_SCORE_RANGE.items() if low <= score <= high]
        return st.sampled_from(kinds)
    return DATA[event_type].fields[name].values
