"""What rules may name: the event types and the fields of each type's `data`."""

from __future__ import annotations

import types
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from pulse.common.events import EVENT_MODELS, EVENT_TYPES

__all__ = ["EVENT_TYPES", "data_fields", "numeric_fields"]


@cache
def data_fields(event_type: str) -> tuple[str, ...]:
    """The fields of an event type's `data`, in declaration order."""
    return tuple(_data_model(event_type).model_fields)


@cache
def numeric_fields(event_type: str) -> tuple[str, ...]:
    """The `data` fields of an event type that hold numbers (counts, amounts, scores)."""
    model = _data_model(event_type)
    return tuple(
        name
        for name, info in model.model_fields.items()
        if _holds_number(info.annotation) and not _holds(info.annotation, (date, datetime, str))
    )


def _data_model(event_type: str) -> type[BaseModel]:
    data = EVENT_MODELS[event_type].model_fields["data"].annotation
    if not (isinstance(data, type) and issubclass(data, BaseModel)):
        raise TypeError(f"{event_type} has no data model")
    return data


def _holds_number(annotation: Any) -> bool:
    return any(
        isinstance(t, type) and issubclass(t, int | float | Decimal) and not issubclass(t, bool)
        for t in _leaf_types(annotation)
    )


def _holds(annotation: Any, kinds: tuple[type, ...]) -> bool:
    return any(isinstance(t, type) and issubclass(t, kinds) for t in _leaf_types(annotation))


def _leaf_types(annotation: Any) -> list[Any]:
    """The plain types inside unions and `Annotated` wrappers of a field annotation."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [leaf for arg in get_args(annotation) for leaf in _leaf_types(arg)]
    return [annotation]
