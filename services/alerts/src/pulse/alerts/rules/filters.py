"""Attribute filters on an event's `data`: field tests combined with `all` / `any`.

A filter is exactly one of: a field test (`field` plus `equals`, `in`, `gt`, `gte`, `lt`,
`lte`; several comparisons may bound a range), `all: [filters]` or `any: [filters]`.
A field that is absent or null never passes a test, so `lt: 7` does not match a missing
score.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool
#: Deepest nesting of all/any: deeper is unreadable and risks deep recursion.
MAX_FILTER_DEPTH = 8
_COMPARISONS = ("gt", "gte", "lt", "lte")


class Filter(BaseModel):
    """One node of a filter tree; see the module docstring for its shapes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1, max_length=64)
    gt: float | None = Field(None, allow_inf_nan=False)
    gte: float | None = Field(None, allow_inf_nan=False)
    lt: float | None = Field(None, allow_inf_nan=False)
    lte: float | None = Field(None, allow_inf_nan=False)
    all: list[Filter] | None = Field(None, min_length=1, max_length=32)
    any: list[Filter] | None = Field(None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _one_shape(self) -> Filter:
        shapes = [name for name in ("field", "all", "any") if getattr(self, name) is not None]
        if len(shapes) != 1:
            raise ValueError("expected exactly one of field, all or any")
        if self.field is not None and not self.tests():
            raise ValueError("a field test needs one of equals, in, gt, gte, lt or lte")
        if self.field is None and self.tests():
            raise ValueError("equals, in and comparisons go with field, not all/any")
        if self.depth() > MAX_FILTER_DEPTH:
            raise ValueError(f"expected all/any nested at most {MAX_FILTER_DEPTH} deep")
        return self

    def tests(self) -> list[str]:
        """The tests this node sets, by their YAML names."""
        named = {"equals": self.equals, "in": self.in_}
        named.update({name: getattr(self, name) for name in _COMPARISONS})
        return [name for name, value in named.items() if value is not None]

    def depth(self) -> int:
        """How deep all/any nest below and including this node."""
        children = (self.all or []) + (self.any or [])
        return 1 + max((child.depth() for child in children), default=0)

    def fields(self) -> list[str]:
        """Every data field the filter reads, in order, without repeats."""
        if self.field is not None:
            return [self.field]
        seen: dict[str, None] = {}
        for child in (self.all or []) + (self.any or []):
            seen.update(dict.fromkeys(child.fields()))
        return list(seen)

    def comparisons(self) -> list[str]:
        """The comparison tests (gt/gte/lt/lte) anywhere in the tree, for type checks."""
        compared = any(getattr(self, name) is not None for name in _COMPARISONS)
        own = [self.field] if self.field is not None and compared else []
        for child in (self.all or []) + (self.any or []):
            own += child.comparisons()
        return own

    def matches(self, data: BaseModel) -> bool:
        """Whether an event's data passes this filter."""
        if self.all is not None:
            return all(child.matches(data) for child in self.all)
        if self.any is not None:
            return any(child.matches(data) for child in self.any)
        return self._field_passes(getattr(data, self.field or "", None))

    def _field_passes(self, value: Any) -> bool:
        if value is None:
            return False
        if self.equals is not None and not _same(value, self.equals):
            return False
        if self.in_ is not None and not any(_same(value, wanted) for wanted in self.in_):
            return False
        return _compares(value, self)


def _same(value: Any, wanted: Scalar) -> bool:
    # Enum values are `str` subclasses, so `channel: phone` equals TicketChannel.PHONE.
    if isinstance(wanted, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(wanted, bool) and value is wanted
    return bool(value == wanted)


def _compares(value: Any, node: Filter) -> bool:
    bounds = [
        (name, getattr(node, name)) for name in _COMPARISONS if getattr(node, name) is not None
    ]
    if not bounds:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    for name, bound in bounds:
        # A bound is written in decimal in YAML: compare amounts with that decimal, not
        # with the nearest float (an amount of 0.10 must pass `gte: 0.1`).
        limit = Decimal(repr(bound)) if isinstance(value, Decimal) else bound
        if not _OPERATORS[name](value, limit):
            return False
    return True


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
