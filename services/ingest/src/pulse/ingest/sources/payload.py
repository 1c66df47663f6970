"""Reading a vendor's JSON payload: typed values, and each problem reported at its full path.

A `PayloadObject` is one JSON object of a payload together with where it stands in it (`""`
for the payload itself, `ticket.organization` for one nested in it). Its readers return a
field in the type an adapter works with, or raise `PayloadError` naming the field's full path
and what was there instead: `ticket.organization.id: expected a non-empty string, got nothing`.
It is a read-only mapping of the raw fields too, for what an adapter reads leniently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, TypeGuard

from pulse.common.events.messages import describe, json_type
from pulse.ingest.sources.base import PayloadError

_MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z


def is_int(value: object) -> TypeGuard[int]:
    """A JSON whole number (JSON's true and false are not numbers, though Python's are)."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_text(value: object, *, numbers_as_text: bool = False) -> str | None:
    """A trimmed, non-empty string; with `numbers_as_text`, a whole number as its digits too."""
    if numbers_as_text and is_int(value):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


class PayloadObject(Mapping[str, Any]):
    """A JSON object of a vendor's payload, and its path in the payload."""

    __slots__ = ("_fields", "numbers_as_text", "path")

    def __init__(
        self, fields: Mapping[str, Any], path: str = "", *, numbers_as_text: bool = False
    ) -> None:
        self._fields = fields
        self.path = path
        #: whether a whole number reads as text, for vendors that send ids as either
        self.numbers_as_text = numbers_as_text

    @classmethod
    def of(
        cls,
        value: object,
        path: str = "",
        *,
        expected: str = "an object",
        numbers_as_text: bool = False,
    ) -> PayloadObject:
        """`value` as the object at `path`, or `PayloadError` saying what was `expected`."""
        if not isinstance(value, Mapping):
            raise PayloadError(path, f"expected {expected}, got {json_type(value)}")
        return cls(value, path, numbers_as_text=numbers_as_text)

    def __getitem__(self, field: str) -> Any:
        return self._fields[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"PayloadObject({self._fields!r}, {self.path!r})"

    def at(self, field: str) -> str:
        """The full path of a field: `ticket` and `id` make `ticket.id`."""
        return f"{self.path}.{field}" if self.path else field

    def error(self, field: str, message: str) -> PayloadError:
        """A problem with a field, reported at its full path."""
        return PayloadError(self.at(field), message)

    def got(self, field: str) -> str:
        """How a field's value reads in a message: `'text'`, `42`, `null`, or `nothing`."""
        return describe(self._fields[field]) if field in self._fields else "nothing"

    def text(self, field: str) -> str | None:
        """The field as a trimmed, non-empty string, else None."""
        return as_text(self._fields.get(field), numbers_as_text=self.numbers_as_text)

    def required_text(self, field: str) -> str:
        """The field as a trimmed, non-empty string; `PayloadError` when it is not one."""
        value = self.text(field)
        if value is None:
            raise self.error(field, f"expected a non-empty string, got {self.got(field)}")
        return value

    def optional_text(self, field: str) -> str | None:
        """The field as a trimmed string, None when absent, null or blank; `PayloadError` for
        another type, which `text` would read as absent (e.g. an id sent as an array)."""
        value = self._fields.get(field)
        text = as_text(value, numbers_as_text=self.numbers_as_text)
        if text is None and value is not None and not isinstance(value, str):
            raise self.error(field, f"expected a string, got {self.got(field)}")
        return text

    def one_of(self, field: str, choices: Collection[str]) -> str:
        """The field when it is one of `choices` (as sent, not trimmed); `PayloadError` naming
        them otherwise. Only a string is looked up: an array or object is not hashable."""
        value = self._fields.get(field)
        if isinstance(value, str) and value in choices:
            return value
        raise self.error(field, f"expected one of {', '.join(choices)}, got {self.got(field)}")

    def first_string(self, fields: Iterable[str]) -> str | None:
        """The first of `fields` holding a non-blank string, as sent (e.g. a timestamp)."""
        for field in fields:
            value = self._fields.get(field)
            if isinstance(value, str) and value.strip():
                return value
        return None

    def unix_time(self, field: str) -> int:
        """The field as unix seconds up to the year 9999; `PayloadError` otherwise."""
        value = self._fields.get(field)
        if not is_int(value) or not 0 <= value <= _MAX_UNIX:
            raise self.error(field, f"expected a unix time in seconds, got {self.got(field)}")
        return value

    def required_object(self, field: str, *, expected: str = "an object") -> PayloadObject:
        """The field as an object; `PayloadError` saying what was `expected` otherwise."""
        if field not in self._fields:
            raise self.error(field, f"expected {expected}, got nothing")
        return self._child(self._fields[field], self.at(field), expected)

    def optional_object(self, field: str) -> PayloadObject:
        """The field as an object, empty when absent or null; `PayloadError` for another type."""
        value = self._fields.get(field)
        return self._child({} if value is None else value, self.at(field))

    def object_or_none(self, field: str) -> PayloadObject | None:
        """The field as an object when it is one, else None: for fields read leniently."""
        value = self._fields.get(field)
        return self._child(value, self.at(field)) if isinstance(value, Mapping) else None

    def objects(self, field: str) -> Iterator[PayloadObject]:
        """The objects of an array field, none when it is absent or null, one at a time:
        `PayloadError` for another type, or on reaching an item that is not an object."""
        value = self._fields.get(field)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.error(field, f"expected an array, got {json_type(value)}")
        path = self.at(field)
        for index, item in enumerate(value):
            yield self._child(item, f"{path}.{index}")

    def _child(self, value: object, path: str, expected: str = "an object") -> PayloadObject:
        return PayloadObject.of(
            value, path, expected=expected, numbers_as_text=self.numbers_as_text
        )
