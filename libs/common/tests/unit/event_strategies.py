"""Hypothesis strategies of raw events (what clients send) for all 16 event types (DESIGN §3).

An event is drawn in two steps. First a `Canonical` event: the values validation must yield
(trimmed ids, lower-case enum members, upper-case currencies, `Decimal` amounts, UTC times).
Then one of its many equivalent raw spellings (`render`): enum values and types in odd case
with whitespace around them, currencies in mixed case, amounts as decimal strings, integers or
floats, timestamps at any UTC offset with 0-9 fractional digits, ids padded with whitespace,
optional fields absent or `null`, keys in any order. Two spellings of one canonical event must
validate to equal events with one derived id; a test can compare a validated event with the
canonical values it came from.

Every timestamp is at most 24 h after `NOW`; validate with `validate_event(raw, now=NOW)`.
Each field also has strategies of wrongly typed and out-of-range values, for rejection tests.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from pulse.common.currencies import ISO_4217_CODES
from pulse.common.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    MAX_FUTURE,
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

#: The clock of every strategy; validate with `now=NOW`.
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
#: The latest valid `occurred_at` (inclusive).
LATEST = NOW + MAX_FUTURE

ACCOUNT_ID_CHARS = string.ascii_letters + string.digits + "._:@-"
#: Whitespace `str.strip()` removes; ids, enum values, currencies and times may be padded with it.
PADDING = " \t\n\r\u00a0\u3000"
MAX_COUNT = 2**31 - 1
MAX_OFFSET_MINUTES = 23 * 60 + 59
#: JSON integers as orjson reads and writes them (64 bits).
json_integers = st.integers(-(2**63), 2**64 - 1)

Render = Callable[[Any], st.SearchStrategy[Any]]


# --- spellings of one canonical value -------------------------------------------------------


def padded(text: str) -> st.SearchStrategy[str]:
    """`text` with whitespace (perhaps none) on either side."""
    pad = st.text(PADDING, max_size=2)
    return st.tuples(pad, pad).map(lambda sides: sides[0] + text + sides[1])


def odd_case(text: str) -> st.SearchStrategy[str]:
    """`text` with each ASCII letter in either case, padded with whitespace."""

    def recase(mask: int) -> str:
        return "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(text.lower()))

    return st.integers(0, 2 ** len(text) - 1).map(recase).flatmap(padded)


def _enum_spellings(value: Any) -> st.SearchStrategy[str]:
    return odd_case(str(value))


def _same(value: Any) -> st.SearchStrategy[Any]:
    return st.just(value)


def _amount_spellings(amount: Decimal) -> st.SearchStrategy[Any]:
    """A decimal string (trailing zeros up to 4 places, padded), an integer or a float."""
    text = format(amount, "f")
    places = max(0, -int(amount.as_tuple().exponent))
    spellings: list[st.SearchStrategy[Any]] = [
        st.integers(0, 4 - places).flatmap(
            lambda extra: padded(text + ("." if places == 0 and extra else "") + "0" * extra)
        )
    ]
    if amount == 0:
        spellings.append(st.sampled_from(["-0", "-0.00", 0, 0.0, -0.0]))
    if amount == amount.to_integral_value():
        spellings.append(st.just(int(amount)))
    as_float = float(amount)
    shortest = Decimal(repr(as_float))
    if shortest == amount and -int(shortest.as_tuple().exponent) <= 4 and as_float < 1e15:
        spellings.append(st.just(as_float))  # read back exactly: repr(float) has <= 4 places
    return st.one_of(spellings)


def _number_spellings(number: float) -> st.SearchStrategy[Any]:
    """The float itself, an integer when it is one, `-0.0` for zero."""
    spellings: list[Any] = [number]
    if number.is_integer() and abs(number) < 2**63:  # orjson writes 64-bit integers only
        spellings.append(int(number))
    if number == 0:
        spellings.append(-0.0)
    return st.sampled_from(spellings)


def _offset_text(minutes: int) -> st.SearchStrategy[str]:
    if minutes == 0:
        return st.sampled_from(["Z", "z", "+00:00", "-00:00"])
    sign = "-" if minutes < 0 else "+"
    return st.just(f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


@st.composite
def timestamp_spellings(draw: st.DrawFn, moment: datetime, *, zone: bool = True) -> str:
    """`moment` as RFC 3339 at some UTC offset: separator `T`, `t` or space, 0-9 fractional
    digits (trailing zeros only past the microseconds, so the instant is exact), padded.
    `zone=False` leaves out the offset (a naive timestamp, which validation rejects)."""
    minutes = draw(st.one_of(st.just(0), st.integers(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES)))
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    digits = f"{local.microsecond:06d}".rstrip("0") + "0" * draw(st.integers(0, 3))
    fraction = "." + digits if digits else ""
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}{draw(st.sampled_from('Tt '))}"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}{fraction}"
    )
    if zone:
        text += draw(_offset_text(minutes))
    return draw(padded(text))


def _date_spellings(day: date) -> st.SearchStrategy[str]:
    return padded(day.isoformat())


def _account_list_spellings(ids: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*(padded(i) for i in ids)).map(list)


# --- canonical values -----------------------------------------------------------------------

_NO_SURROGATES = st.characters(exclude_categories=["Cs"])
_NO_CONTROL = st.characters(exclude_categories=("Cs", "Cc"))


def _trimmed_text(max_size: int) -> st.SearchStrategy[str]:
    """1 to `max_size` characters, no control characters, no whitespace at either end."""
    short = st.text(_NO_CONTROL, min_size=1, max_size=min(max_size, 24))
    longest = st.text(string.ascii_letters, min_size=max_size, max_size=max_size)
    return st.one_of(short.map(str.strip).filter(bool), longest)


external_ids = _trimmed_text(256)
event_ids = _trimmed_text(128)
account_ids = st.one_of(
    st.text(ACCOUNT_ID_CHARS, min_size=1, max_size=24),
    st.text(ACCOUNT_ID_CHARS, min_size=128, max_size=128),
)
texts = st.text(_NO_SURROGATES, max_size=60)
sources = st.text(_NO_SURROGATES, max_size=128)
currencies = st.sampled_from(sorted(ISO_4217_CODES))
counts = st.integers(0, MAX_COUNT)
numbers = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0)
quantities = st.floats(min_value=0.0, allow_infinity=False).map(lambda x: x + 0.0)


@st.composite
def amounts(draw: st.DrawFn) -> Decimal:
    """A non-negative amount with 0-4 decimal places and at most 15 integer digits."""
    places = draw(st.integers(0, 4))
    units = draw(st.integers(0, 10 ** (15 + places) - 1))
    return Decimal(units).scaleb(-places)


def utc_times(earliest: datetime, latest: datetime) -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes between two aware bounds, inclusive, with microseconds."""
    return st.datetimes(
        min_value=earliest.replace(tzinfo=None),
        max_value=latest.replace(tzinfo=None),
        timezones=st.just(UTC),
    )


#: `occurred_at`: the past, up to 24 h after NOW (the limit itself is allowed).
occurrence_times = st.one_of(
    utc_times(datetime(1970, 1, 1, tzinfo=UTC), LATEST),
    st.sampled_from([NOW, LATEST, LATEST - timedelta(microseconds=1)]),
)
#: `due_at`, `effective_at`: no future limit.
data_times = utc_times(datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


def enum_members(enum: type[StrEnum]) -> st.SearchStrategy[StrEnum]:
    return st.sampled_from(list(enum))


# --- invalid values -------------------------------------------------------------------------

_JSON_SCALARS_BUT_STRINGS = st.one_of(
    json_integers, st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
_CONTAINERS = st.sampled_from([[], ["x"], {}, {"a": 1}])
not_strings = st.one_of(_JSON_SCALARS_BUT_STRINGS, _CONTAINERS)
not_integers = st.one_of(
    st.integers(-5, 5).map(str),
    st.integers(-5, 5).map(float),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.booleans(),
    st.text(max_size=5),
    _CONTAINERS,
)
not_numbers = st.one_of(st.sampled_from(["1", "1.5", "", "one"]), st.booleans(), _CONTAINERS)
not_flags = st.one_of(json_integers, st.sampled_from(["true", "false", "yes", ""]), _CONTAINERS)
not_amounts = st.one_of(
    st.booleans(),
    _CONTAINERS,
    st.sampled_from(["", " ", "abc", "1e3", "1E-2", "+1", ".5", "5.", "1,5", "1 000", "0x10"]),
)
not_arrays = st.one_of(st.text(max_size=5), json_integers, st.booleans(), st.just({"a": "b"}))

bad_amounts = st.one_of(
    amounts().filter(lambda a: a > 0).map(lambda a: f"-{a}"),
    st.integers(-(2**63), -1),
    st.floats(max_value=-0.0001, allow_infinity=False),
    st.sampled_from(
        ["1.23456", "0.00001", 1.23456, "1234567890123456", 10**15, "NaN", "-Infinity"]
    ),
)
too_long_external_ids = st.text(string.ascii_letters, min_size=257, max_size=300)
too_long_event_ids = st.text(string.ascii_letters, min_size=129, max_size=200)
blank_ids = st.text(PADDING, max_size=3)
bad_currencies = st.one_of(
    st.sampled_from(["XYZ", "EURO", "E", "€", "US D", "123"]),
    st.text(string.ascii_letters, min_size=1, max_size=4).filter(
        lambda code: code.upper() not in ISO_4217_CODES
    ),
)
unparseable_timestamps = st.sampled_from(
    [
        "",
        "yesterday",
        "2026-11-20",
        "2026-11-20T10:00Z",
        "2026-11-20T10:00:00.Z",
        "20261120T100000Z",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T10:60:00Z",
        "2026-11-20T10:00:60Z",
        "2026-11-20T10:00:00+24:00",
        "2026-11-20T10:00:00+01:60",
        "2026-11-20T10:00:00+0100",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",  # valid shape, but before 0001-01-01 in UTC
        "9999-12-31T23:59:59-00:01",  # valid shape, but after 9999-12-31 in UTC
        "2026-11-20T10:00:00Z trailing",
        "\u0662\u0660\u0662\u0666-11-20T10:00:00Z",  # Arabic-Indic digits
    ]
)
naive_timestamps = data_times.flatmap(lambda moment: timestamp_spellings(moment, zone=False))
future_times = utc_times(LATEST + timedelta(microseconds=1), datetime(9000, 1, 1, tzinfo=UTC))
bad_dates = st.sampled_from(
    ["", "2027-02-30", "2027-13-01", "2027-1-1", "27-01-01", "2027/01/31", "2027-01-31T00:00:00Z"]
)


def bad_enum_values(enum: type[StrEnum]) -> st.SearchStrategy[str]:
    """Strings that are no value of `enum` once trimmed and lower-cased."""
    values = {member.value for member in enum}
    near = [v + "s" for v in values] + [v.replace("_", " ") for v in values if "_" in v]
    return st.one_of(st.sampled_from(sorted(near)), st.text(max_size=12)).filter(
        lambda text: text.strip().lower() not in values
    )


# --- fields ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """How to draw one field: canonical values, their raw spellings, and invalid values."""

    values: st.SearchStrategy[Any]
    render: Render = _same
    wrong_type: st.SearchStrategy[Any] = not_strings
    out_of_range: st.SearchStrategy[Any] | None = None


def _enum_field(enum: type[StrEnum]) -> FieldSpec:
    return FieldSpec(enum_members(enum), _enum_spellings, not_strings, bad_enum_values(enum))


EXTERNAL_ID = FieldSpec(
    external_ids, padded, not_strings, st.one_of(too_long_external_ids, blank_ids)
)
AMOUNT = FieldSpec(amounts(), _amount_spellings, not_amounts, bad_amounts)
CURRENCY = FieldSpec(currencies, odd_case, not_strings, bad_currencies)
COUNT = FieldSpec(
    counts,
    _same,
    not_integers,
    st.one_of(st.integers(-(2**63), -1), st.integers(MAX_COUNT + 1, 2**64 - 1)),
)
TEXT = FieldSpec(texts, _same, not_strings, st.text("x", min_size=10_001, max_size=10_001))
DATA_TIME = FieldSpec(data_times, timestamp_spellings, not_strings, unparseable_timestamps)
NUMBER = FieldSpec(numbers, _number_spellings, not_numbers)

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
    "source": FieldSpec(sources, _same, not_strings, st.text("x", min_size=129, max_size=140)),
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
            _account_list_spellings,
            not_arrays,
            st.lists(account_ids, max_size=3).map(lambda ids: [*ids, "not an account"]),
        ),
    },
)
_SCORE = FieldSpec(st.integers(0, 10), _same, not_integers)  # drawn per kind: `canonical_data`

DATA: dict[str, DataSpec] = {
    "usage.activity": DataSpec(
        {"user_id": EXTERNAL_ID},
        {
            "feature": EXTERNAL_ID,
            "quantity": FieldSpec(
                quantities,
                _number_spellings,
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
                _same,
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
        {"with_executive": FieldSpec(st.booleans(), _same, not_flags)},
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
            "renewal_date": FieldSpec(st.dates(), _date_spellings, not_strings, bad_dates),
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


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canonical:
    """An event as validation must produce it; `data` holds the fields that are present."""

    type: str
    account_id: str
    occurred_at: datetime
    data: Mapping[str, Any]
    id: str | None = None
    source: str | None = None


@st.composite
def canonical_data(draw: st.DrawFn, event_type: str) -> dict[str, Any]:
    """Canonical `data` of one type: every required field, each optional one perhaps."""
    spec = DATA[event_type]
    data: dict[str, Any] = {}
    for name, field_spec in spec.fields.items():
        if name in spec.required or draw(st.booleans()):
            data[name] = draw(field_spec.values)
    if event_type == "survey.response":
        data["score"] = draw(survey_scores(data["kind"]))
    return data


@st.composite
def canonical_events(
    draw: st.DrawFn, event_type: str | None = None, *, with_id: bool | None = None
) -> Canonical:
    """A canonical event of `event_type` (else any type), with an id or not (else either)."""
    kind = event_type if event_type is not None else draw(st.sampled_from(EVENT_TYPES))
    has_id = draw(st.booleans()) if with_id is None else with_id
    return Canonical(
        type=kind,
        account_id=draw(account_ids),
        occurred_at=draw(occurrence_times),
        data=draw(canonical_data(kind)),
        id=draw(event_ids) if has_id else None,
        source=draw(st.one_of(st.none(), sources)),
    )


@st.composite
def _shuffled(draw: st.DrawFn, fields: dict[str, Any]) -> dict[str, Any]:
    order = draw(st.permutations(list(fields)))
    return {name: fields[name] for name in order}


@st.composite
def render_data(draw: st.DrawFn, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A raw spelling of canonical `data`; absent nullable fields are perhaps `null`."""
    raw: dict[str, Any] = {}
    for name, field_spec in DATA[event_type].fields.items():
        if name in data:
            raw[name] = draw(field_spec.render(data[name]))
        elif nullable(event_type, name) and draw(st.integers(0, 3)) == 0:
            raw[name] = None
    return draw(_shuffled(raw))


@st.composite
def render(draw: st.DrawFn, event: Canonical) -> dict[str, Any]:
    """A raw spelling of a canonical event, as a client might send it."""
    raw: dict[str, Any] = {
        "type": draw(odd_case(event.type)),
        "account_id": draw(padded(event.account_id)),
        "occurred_at": draw(timestamp_spellings(event.occurred_at)),
        "data": draw(render_data(event.type, event.data)),
    }
    if event.id is not None:
        raw["id"] = draw(padded(event.id))
    elif draw(st.booleans()):
        raw["id"] = None  # null means absent: the id is derived
    if event.source is not None or draw(st.booleans()):
        raw["source"] = event.source
    return draw(_shuffled(raw))


def cases(
    event_type: str | None = None, *, with_id: bool | None = None
) -> st.SearchStrategy[tuple[Canonical, dict[str, Any]]]:
    """A canonical event and one raw spelling of it."""
    return canonical_events(event_type, with_id=with_id).flatmap(
        lambda event: render(event).map(lambda raw: (event, raw))
    )


def valid_events(
    event_type: str, *, with_id: bool | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid raw events of one type."""
    return canonical_events(event_type, with_id=with_id).flatmap(render)


def any_valid_event(*, with_id: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A valid raw event of any of the 16 types."""
    return st.one_of([valid_events(t, with_id=with_id) for t in EVENT_TYPES])
