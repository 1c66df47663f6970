"""Wording of validation errors: how received values read, and custom error construction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError


def describe(value: object) -> str:
    """How a received value reads in an error message: `'text'`, `42`, `null`, `an array`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def json_type(value: object) -> str:
    """The JSON name of a value's type: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def fail(error_type: str, message: str, **ctx: Any) -> PydanticCustomError:
    """A pydantic error of our own type whose message names what was expected and what arrived."""
    return PydanticCustomError(error_type, message, ctx or None)
