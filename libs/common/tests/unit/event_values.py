"""Hypothesis strategies of single event values: canonical values, raw spellings, invalid ones."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from pulse.common.currencies import ISO_4217_CODES
from pulse.common.events import EVENT_TIME_FLOOR, MAX_FUTURE

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


def enum_spellings(value: Any) -> st.SearchStrategy[str]:
    return odd_case(str(value))


def same(value: Any) -> st.SearchStrategy[Any]:
    return st.just(value)


def amount_spellings(amount: Decimal) -> st.SearchStrategy[Any]:
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


def number_spellings(number: float) -> st.SearchStrategy[Any]:
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


def date_spellings(day: date) -> st.SearchStrategy[str]:
    return padded(day.isoformat())


def account_list_spellings(ids: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
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
).filter(lambda text: text.strip(".") != "")  # an id of dots alone is refused
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


#: `occurred_at`: from the floor up to 24 h after NOW (both limits are allowed).
occurrence_times = st.one_of(
    utc_times(EVENT_TIME_FLOOR, LATEST),
    st.sampled_from([NOW, LATEST, LATEST - timedelta(microseconds=1), EVENT_TIME_FLOOR]),
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
