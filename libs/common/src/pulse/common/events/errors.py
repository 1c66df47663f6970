"""Validation errors a person can act on: the field path, what was expected, what arrived."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pulse.common.events.envelope import EVENT_MODELS, EVENT_TYPES
from pulse.common.events.fields import AS_SENT, NORMAL
from pulse.common.events.messages import describe, json_type

_KNOWN_TYPES = ", ".join(EVENT_TYPES)


class RejectReason(StrEnum):
    """What kind of problem an error is: a closed set, so it can label metrics (a path or
    a message comes from the client and would not be)."""

    NOT_AN_OBJECT = "not_an_object"
    MALFORMED = "malformed"  # not JSON at all
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    BAD_TIME = "bad_time"
    BAD_VALUE = "bad_value"  # an enum, currency, id pattern, control character...
    UNMAPPED = "unmapped"  # a vendor object that maps to no account
    INVALID = "invalid"  # any other


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: `path` like `data.priority` (`` for the input as a whole), a message, and
    the kind of problem."""

    path: str
    message: str
    #: Not part of equality: two errors saying the same thing at the same path are equal.
    reason: RejectReason = dataclasses.field(default=RejectReason.INVALID, compare=False)


class EventValidationError(ValueError):
    """An event was rejected; `errors` lists every problem found, in field order."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path or '(event)'}: {e.message}" for e in errors))

    def as_details(self) -> list[dict[str, str]]:
        """The errors as JSON-ready `{"path", "message"}` objects."""
        return [{"path": e.path, "message": e.message} for e in self.errors]


def errors_from_pydantic(error: ValidationError) -> list[FieldError]:
    """Rewrite pydantic's errors of an event into `FieldError`s with dot-joined paths.

    A field with a fast path (see `fields`) fails twice: the parser's error says what is
    wrong, the fast path's is dropped."""
    return [
        _field_error(_without_path_label(detail))
        for detail in error.errors(include_url=False)
        if NORMAL not in detail["loc"]
    ]


def _without_path_label(detail: ErrorDetails) -> ErrorDetails:
    loc = detail["loc"]
    if AS_SENT in loc:
        detail["loc"] = tuple(part for part in loc if part != AS_SENT)
    return detail


def _field_error(detail: ErrorDetails) -> FieldError:
    kind = detail["type"]
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        return _type_error(detail)
    loc = detail["loc"]
    tag = loc[0] if loc and loc[0] in EVENT_MODELS else None
    if tag is not None:
        loc = loc[1:]  # the union member's tag is not part of the input's path
    path = ".".join(str(part) for part in loc)
    if kind == "extra_forbidden":
        message = _unknown_field(str(loc[-1]), _model_at(tag, loc[:-1]))
        return FieldError(path, message, RejectReason.UNKNOWN_FIELD)
    return FieldError(path, _message(kind, detail), reason_of(kind))


def _type_error(detail: ErrorDetails) -> FieldError:
    raw = detail["input"]
    if not isinstance(raw, dict):
        message = f"expected a JSON object, got {json_type(raw)}"
        return FieldError("", message, RejectReason.NOT_AN_OBJECT)
    if "type" not in raw:
        message = f"field required; expected one of: {_KNOWN_TYPES}"
        return FieldError("type", message, RejectReason.MISSING_FIELD)
    event_type = raw["type"]
    if not isinstance(event_type, str):
        got = describe(event_type)
        message = f"expected a string, one of: {_KNOWN_TYPES}; got {got}"
        return FieldError("type", message, RejectReason.WRONG_TYPE)
    message = f"unknown event type {event_type!r}; expected one of: {_KNOWN_TYPES}"
    return FieldError("type", message, RejectReason.UNKNOWN_TYPE)


_REASON_OF_KIND = {
    "missing": RejectReason.MISSING_FIELD,
    **dict.fromkeys(
        ("string_type", "int_type", "int_parsing", "int_from_float", "float_type",
         "float_parsing", "bool_type", "bool_parsing", "list_type", "tuple_type",
         "model_type", "model_attributes_type", "dict_type", "amount_type"),
        RejectReason.WRONG_TYPE,
    ),
    **dict.fromkeys(
        ("greater_than", "greater_than_equal", "less_than", "less_than_equal",
         "string_too_long", "string_too_short", "string_length", "too_long", "too_short",
         "finite_number", "amount_finite", "amount_negative", "amount_too_large",
         "amount_decimal_places", "survey_score_range"),
        RejectReason.OUT_OF_RANGE,
    ),
    **dict.fromkeys(
        ("timestamp_type", "timestamp_format", "timestamp_naive", "timestamp_value",
         "timestamp_future", "timestamp_before_floor", "date_format", "date_value"),
        RejectReason.BAD_TIME,
    ),
    **dict.fromkeys(
        ("enum", "literal_error", "currency", "account_id_pattern", "account_id_dots",
         "control_character", "string_pattern_mismatch"),
        RejectReason.BAD_VALUE,
    ),
}  # fmt: skip


def reason_of(kind: str) -> RejectReason:
    """The reason of a pydantic error type or one of ours (`fail`); `invalid` if unknown."""
    return _REASON_OF_KIND.get(kind, RejectReason.INVALID)


def _model_at(tag: str | int | None, loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model whose fields live at `loc` inside the event of type `tag`, if known."""
    if not isinstance(tag, str):
        return None
    model: Any = EVENT_MODELS[tag]
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_field(name: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return f"unknown field {name!r}"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field {name!r}{hint}; expected one of: {', '.join(allowed)}"


_EXPECTED = {
    "missing": "field required",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected an array",
    "tuple_type": "expected an array",
}


def _message(kind: str, detail: ErrorDetails) -> str:
    got = detail.get("input")
    ctx = detail.get("ctx", {})
    if kind == "missing":
        return "field required"
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {describe(got)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"expected a JSON object, got {json_type(got)}"
    bounds = {
        "greater_than_equal": f"expected at least {_bound(ctx.get('ge'))}",
        "less_than_equal": f"expected at most {_bound(ctx.get('le'))}",
        "greater_than": f"expected more than {_bound(ctx.get('gt'))}",
        "less_than": f"expected less than {_bound(ctx.get('lt'))}",
    }
    if kind in bounds:
        return f"{bounds[kind]}, got {describe(got)}"
    if kind in {"string_too_long", "string_too_short"}:
        limit = ctx.get("max_length", ctx.get("min_length"))
        side = "most" if kind == "string_too_long" else "least"
        length = len(got) if isinstance(got, str) else "?"
        return f"expected at {side} {limit} characters, got {length}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    return detail["msg"]


def _bound(limit: object) -> object:
    """A constraint's limit as written: pydantic hands float fields' limits over as floats."""
    return int(limit) if isinstance(limit, float) and limit.is_integer() else limit
