"""Which events a measure reads: an event type and filters on its dimensions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from pulse.common.events import EVENT_TYPES
from pulse.health.scoring.catalog import KEPT, TICKET_DIMENSIONS, Dimension


class EventSelector(BaseModel):
    """Events of `type` whose attributes match `where` (a value, or any of a list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    where: dict[str, str | list[str]] = {}

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise PydanticCustomError(
                "event_type",
                "unknown event type '{got}'; expected one of {expected}",
                {"got": value, "expected": ", ".join(EVENT_TYPES)},
            )
        return value

    @field_validator("where", mode="before")
    @classmethod
    def _booleans_as_text(cls, where: object) -> object:
        """YAML reads `with_executive: true` as a boolean; filters compare text."""
        if not isinstance(where, dict):
            return where
        return {name: _text(value) for name, value in where.items()}

    def allowed(self, name: str) -> tuple[str, ...]:
        """The values `where` accepts for attribute `name`."""
        value = self.where[name]
        return (value,) if isinstance(value, str) else tuple(value)

    @cached_property
    def compiled(self) -> CompiledSelector:
        """The filters by position in the type's series keys (the model must be valid)."""
        dimensions = KEPT[self.type].dimensions if self.type in KEPT else ()
        return CompiledSelector(self.type, _filters(self, dimensions))

    @cached_property
    def compiled_for_tickets(self) -> CompiledSelector:
        """The filters by position in `TICKET_DIMENSIONS`, for open tickets."""
        return CompiledSelector(self.type, _filters(self, TICKET_DIMENSIONS))


@dataclass(frozen=True, slots=True)
class CompiledSelector:
    """An event type and, per dimension position, the values allowed."""

    type: str
    filters: tuple[tuple[int, frozenset[str]], ...]

    def matches_key(self, key: str) -> bool:
        """Whether a series key (`type|value|...`) is selected."""
        return _matches_key(self, key)

    def matches_values(self, values: list[str]) -> bool:
        """Whether dimension values (in position order) are selected."""
        return all(values[position] in allowed for position, allowed in self.filters)


@lru_cache(maxsize=65_536)
def _matches_key(selector: CompiledSelector, key: str) -> bool:
    kept = KEPT.get(selector.type)
    if kept is None:
        return False
    # a free-text dimension is last (metric names may hold "|"): split no further
    parts = key.split("|", len(kept.dimensions))
    return parts[0] == selector.type and selector.matches_values(parts[1:])


def _filters(
    selector: EventSelector, dimensions: tuple[Dimension, ...]
) -> tuple[tuple[int, frozenset[str]], ...]:
    names = [d.name for d in dimensions]
    return tuple(
        (names.index(name), frozenset(selector.allowed(name)))
        for name in selector.where
        if name in names
    )


def _text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value
