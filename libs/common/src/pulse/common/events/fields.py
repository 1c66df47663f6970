"""Field types of events: ids, money, currencies, enum values, numbers and times.

Each parser normalises (trims ids, lower-cases enum values, upper-cases currencies)
and raises an error whose message says what was expected and what arrived.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints, Tag

from pulse.common.currencies import ISO_4217_CODES
from pulse.common.events.messages import describe, fail
from pulse.common.events.times import parse_date, parse_occurred_at, parse_timestamp

E = TypeVar("E", bound=StrEnum)

MAX_ID_LENGTH = 128
MAX_EXTERNAL_ID_LENGTH = 256
MAX_TEXT_LENGTH = 10_000
MAX_AMOUNT_INTEGER_DIGITS = 15
MAX_AMOUNT_DECIMAL_PLACES = 4
#: Upper bound of counters (seats, days), so they fit a 32-bit database column.
MAX_COUNT = 2**31 - 1

_ACCOUNT_ID = re.compile(r"[A-Za-z0-9._:@-]+")
#: `.` and `..` are path segments: in a URL (`/v1/accounts/../health`) they cannot name an
#: account, so an id made only of dots could be written but never read back.
_ONLY_DOTS = re.compile(r"\.+")
_ACCOUNT_ID_BAD_CHAR = re.compile(r"[^A-Za-z0-9._:@-]")
_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


def _require_string(value: object) -> str:
    if not isinstance(value, str):
        raise fail("string_type", "expected a string, got {got}", got=describe(value))
    return value


def _check_length(text: str, max_length: int) -> None:
    if not 1 <= len(text) <= max_length:
        raise fail(
            "string_length",
            "expected 1 to {max} characters, got {length}",
            max=max_length,
            length=len(text),
        )


def _check_no_control(text: str) -> None:
    found = _CONTROL_CHAR.search(text)
    if found is not None:
        raise fail(
            "control_character",
            "control character U+{codepoint} at position {position} is not allowed",
            codepoint=f"{ord(found.group()):04X}",
            position=found.start(),
        )


def _identifier(max_length: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        # The checks inline: events carry two or three ids each, ingest and health parse
        # every one (the helpers' calls cost more than the checks).
        text = (value if isinstance(value, str) else _require_string(value)).strip()
        if not 1 <= len(text) <= max_length:
            _check_length(text, max_length)
        if _CONTROL_CHAR.search(text) is not None:
            _check_no_control(text)
        return text

    return parse


_parse_id = _identifier(MAX_ID_LENGTH)
_parse_external_id = _identifier(MAX_EXTERNAL_ID_LENGTH)


def parse_event_id(value: object) -> str:
    """An event id: trimmed, 1-128 characters, no control characters; null means absent ("")."""
    return "" if value is None else _parse_id(value)


def parse_account_id(value: object) -> str:
    """An account id: trimmed, 1-128 characters of `[A-Za-z0-9._:@-]`, not only dots."""
    text = _require_string(value).strip()
    if not 1 <= len(text) <= MAX_ID_LENGTH:
        _check_length(text, MAX_ID_LENGTH)
    if _ACCOUNT_ID.fullmatch(text) is None:
        bad = _ACCOUNT_ID_BAD_CHAR.search(text)
        position = bad.start() if bad is not None else 0
        raise fail(
            "account_id_pattern",
            "character {char} at position {position} is not allowed; an account id takes "
            "1 to 128 characters of A-Z a-z 0-9 . _ : @ -",
            char=repr(text[position]),
            position=position,
        )
    if _ONLY_DOTS.fullmatch(text) is not None:
        raise fail(
            "account_id_dots",
            "account id {got} is made only of dots, which a URL reads as a path step, so "
            "no /v1/accounts/<id> route could name it; use at least one other character",
            got=repr(text),
        )
    return text


def parse_amount(value: object) -> Decimal:
    """A non-negative decimal amount from a decimal string or a JSON number."""
    amount = _to_decimal(value)
    if not amount.is_finite():
        raise fail("amount_finite", "expected a finite amount, got {got}", got=describe(value))
    if amount < 0:
        raise fail(
            "amount_negative", "expected an amount of 0 or more, got {got}", got=describe(value)
        )
    if _check_amount_digits(amount, value) > 0:
        amount = amount.quantize(Decimal(1))  # 1E+3 -> 1000, so it serialises plainly
    return amount.copy_abs()  # -0 -> 0


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest decimal that reads back as this float
    if isinstance(value, str):
        text = value.strip()
        if _PLAIN_DECIMAL.fullmatch(text) is not None:
            return Decimal(text)
        if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            raise fail("amount_finite", "expected a finite amount, got {got}", got=describe(value))
    raise fail(
        "amount_type",
        "expected a decimal amount as a string or number such as '1234.50', got {got}",
        got=describe(value),
    )


def _check_amount_digits(amount: Decimal, received: object) -> int:
    """Check the digits of a finite amount; return its exponent."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite amounts only
    places = max(0, -exponent)
    integer_digits = max(0, len(digits) + exponent)
    if places > MAX_AMOUNT_DECIMAL_PLACES:
        raise fail(
            "amount_decimal_places",
            "expected at most 4 decimal places, got {places} in {got}",
            places=places,
            got=describe(received),
        )
    if integer_digits > MAX_AMOUNT_INTEGER_DIGITS:
        raise fail(
            "amount_too_large",
            "expected at most 15 digits before the decimal point, got {count} in {got}",
            count=integer_digits,
            got=describe(received),
        )
    return exponent


def parse_currency(value: object) -> str:
    """An ISO 4217 code, upper-cased: `"eur"` -> `"EUR"`."""
    code = _require_string(value).strip().upper()
    if code not in ISO_4217_CODES:
        raise fail(
            "currency",
            "expected an ISO 4217 currency code such as EUR or USD, got {got}",
            got=describe(value),
        )
    return code


def enum_parser(enum: type[E]) -> Callable[[object], E]:
    """A parser for one enum: trims and lower-cases strings, then checks the value."""
    expected = ", ".join(member.value for member in enum)

    def parse(value: object) -> E:
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            try:
                return enum(value.strip().lower())
            except ValueError:
                pass
        raise fail(
            "enum", "expected one of {expected}; got {got}", expected=expected, got=describe(value)
        )

    return parse


def _no_negative_zero(number: float) -> float:
    return number + 0.0  # -0.0 + 0.0 == 0.0, so equal values serialise (and hash) alike


# -- fast paths ----------------------------------------------------------------------------
# Every event carries ids and labels: a parser in Python costs about 0.3 µs a field, so the
# ones already in normal form (trimmed, valid) are accepted by pydantic's core, and only the
# rest reach the parser, which normalises them or says exactly what is wrong. `errors` drops
# the fast path's own complaints. What a fast path accepts, its parser accepts unchanged (a
# property test holds them to that).

#: Union labels of the two paths (they never reach an error's path).
NORMAL, AS_SENT = "<normal>", "<as sent>"

_NO_CONTROL = r"\x00-\x1f\x7f-\x9f"
# No control character anywhere, no white space at either end: nothing to trim.
_TRIMMED = rf"[^\s{_NO_CONTROL}](?:[^{_NO_CONTROL}]*[^\s{_NO_CONTROL}])?"
# Leading dots, then one character that is not a dot: an id of dots alone takes the parser.
_FAST_ACCOUNT_ID = StringConstraints(
    max_length=MAX_ID_LENGTH, pattern=r"^\.*[A-Za-z0-9_:@-][A-Za-z0-9._:@-]*$"
)
_FAST_ID = StringConstraints(max_length=MAX_ID_LENGTH, pattern=rf"^{_TRIMMED}$")
_FAST_EXTERNAL_ID = StringConstraints(max_length=MAX_EXTERNAL_ID_LENGTH, pattern=rf"^{_TRIMMED}$")
_FAST_NUMBER = Field(gt=0, allow_inf_nan=False)  # above zero: no -0.0 to turn into 0.0
_EITHER = Field(union_mode="left_to_right")

AccountId = Annotated[
    Annotated[str, Strict(), _FAST_ACCOUNT_ID, Tag(NORMAL)]
    | Annotated[str, BeforeValidator(parse_account_id), Tag(AS_SENT)],
    _EITHER,
]
EventId = Annotated[
    Annotated[str, Strict(), _FAST_ID, Tag(NORMAL)]
    | Annotated[str, BeforeValidator(parse_event_id), Tag(AS_SENT)],
    _EITHER,
]
ExternalId = Annotated[
    Annotated[str, Strict(), _FAST_EXTERNAL_ID, Tag(NORMAL)]
    | Annotated[str, BeforeValidator(_parse_external_id), Tag(AS_SENT)],
    _EITHER,
]
Label = ExternalId
Text = Annotated[str, Strict(), Field(max_length=MAX_TEXT_LENGTH)]
Source = Annotated[str, Strict(), Field(max_length=MAX_ID_LENGTH)]
Money = Annotated[Decimal, BeforeValidator(parse_amount)]
Currency = Annotated[str, BeforeValidator(parse_currency)]
Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]
OccurredAt = Annotated[datetime, BeforeValidator(parse_occurred_at)]
CalendarDate = Annotated[date, BeforeValidator(parse_date)]
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]
Number = Annotated[
    Annotated[float, Strict(), _FAST_NUMBER, Tag(NORMAL)]
    | Annotated[
        float,
        Strict(),
        Field(allow_inf_nan=False),
        AfterValidator(_no_negative_zero),
        Tag(AS_SENT),
    ],
    _EITHER,
]
#: A number of 0 or more.
Quantity = Annotated[
    Annotated[float, Strict(), _FAST_NUMBER, Tag(NORMAL)]
    | Annotated[
        float,
        Strict(),
        Field(ge=0, allow_inf_nan=False),
        AfterValidator(_no_negative_zero),
        Tag(AS_SENT),
    ],
    _EITHER,
]
Flag = Annotated[bool, Strict()]
