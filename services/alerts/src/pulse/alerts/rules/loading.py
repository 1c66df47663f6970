"""Reading a rules file: YAML in, a validated `RuleSet` out, or every problem by path.

`load_rules(text)` raises `RuleError` listing (path, message) per problem, e.g.
`rules[2].where.all[0].field: unknown field 'chanel' of support.ticket.opened; fields are
ticket_id, priority, channel`. `default_rules()` is the rule set shipped with Pulse.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pulse.alerts.rules.catalog import EVENT_TYPES, data_fields, numeric_fields
from pulse.alerts.rules.definitions import (
    AbsenceRule,
    CountRule,
    EventRule,
    MatchRule,
    RenewalRule,
    Rule,
    RuleSet,
    ScoreDropRule,
    SumRule,
)
from pulse.alerts.rules.filters import Filter
from pulse.common.documents import UnreadableDocument, dotted_path, read_yaml

Problems = list[tuple[str, str]]
DEFAULT_RULES_RESOURCE = "default_rules.yaml"
#: Most values a rules file may hold, aliases counted again (a small alias bomb expands
#: to billions of values).
MAX_YAML_VALUES = 100_000
_KINDS = frozenset(
    {"count", "sum", "absence", "match", "band", "score_below", "score_drop", "renewal"}
)


class RuleError(Exception):
    """A rules file that cannot be used; `errors` lists (path, message) per problem."""

    def __init__(self, errors: Problems) -> None:
        super().__init__("; ".join(f"{path or '(top)'}: {message}" for path, message in errors))
        self.errors = errors


def load_rules(text: str) -> RuleSet:
    """Parse and validate a YAML rules file; raise `RuleError` with every problem."""
    try:
        data = read_yaml(text, MAX_YAML_VALUES)
    except UnreadableDocument as error:
        raise RuleError([("", str(error))]) from error
    return rules_from_data(data)


def rules_from_data(data: object) -> RuleSet:
    """Validate a rule set already parsed (from YAML or JSON); raise `RuleError` with
    every problem."""
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise RuleError([("", f"expected a mapping with version and rules, got {got}")])
    try:
        rule_set = RuleSet.model_validate(data)
    except ValidationError as error:
        raise RuleError([_problem(detail) for detail in error.errors()]) from error
    problems = rule_set_problems(rule_set)
    if problems:
        raise RuleError(problems)
    return rule_set


def default_rules_text() -> str:
    """The YAML of the rules shipped with Pulse (package data)."""
    return resources.files(__package__).joinpath(DEFAULT_RULES_RESOURCE).read_text("utf-8")


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The rules shipped with Pulse, validated."""
    return load_rules(default_rules_text())


def rule_set_problems(rule_set: RuleSet) -> Problems:
    """Problems the field types alone cannot see: ids, event types, fields, durations."""
    problems: Problems = []
    first_of: dict[str, int] = {}
    for i, rule in enumerate(rule_set.rules):
        path = f"rules[{i}]"
        if rule.id in first_of:
            problems.append(
                (f"{path}.id", f"duplicate rule id {rule.id!r} (also rules[{first_of[rule.id]}])")
            )
        first_of.setdefault(rule.id, i)
        problems += [(f"{path}{p}", m) for p, m in _rule_problems(rule)]
    return problems


def _rule_problems(rule: Rule) -> Problems:
    problems: Problems = []
    if isinstance(rule, EventRule):
        if rule.event not in EVENT_TYPES:
            types = ", ".join(EVENT_TYPES)
            return [(".event", f"unknown event type {rule.event!r}; types are {types}")]
        problems += _event_problems(rule)
    span, name = _span(rule)
    if span is not None and span <= timedelta(0):
        problems.append((f".{name}", "must be longer than 0s"))
    return problems


def _event_problems(rule: EventRule) -> Problems:
    """Fields of a known event type that the rule reads: in its filter, and the summed one."""
    problems: Problems = []
    if rule.where is not None:
        problems += _filter_problems(rule.where, rule.event, ".where")
    if isinstance(rule, SumRule) and rule.field not in numeric_fields(rule.event):
        problems.append((".field", _not_numeric(rule.field, rule.event)))
    return problems


def _span(rule: Rule) -> tuple[timedelta | None, str]:
    """The duration a rule watches over, and its field; None for kinds with none."""
    if isinstance(rule, AbsenceRule):
        return rule.silence, "silence"
    if isinstance(rule, MatchRule):
        return rule.lasts, "lasts"
    if isinstance(rule, ScoreDropRule | RenewalRule):
        return rule.within, "within"
    if isinstance(rule, CountRule | SumRule):
        return rule.window, "window"
    return None, ""


def _filter_problems(node: Filter, event_type: str, path: str) -> Problems:
    if node.field is not None:
        fields = data_fields(event_type)
        if node.field not in fields:
            return [
                (
                    f"{path}.field",
                    f"unknown field {node.field!r} of {event_type}; fields are {', '.join(fields)}",
                )
            ]
        if node.comparisons() and node.field not in numeric_fields(event_type):
            return [(f"{path}.field", _not_numeric(node.field, event_type))]
        return []
    problems: Problems = []
    for group in ("all", "any"):
        for j, child in enumerate(getattr(node, group) or []):
            problems += _filter_problems(child, event_type, f"{path}.{group}[{j}]")
    return problems


def _not_numeric(field: str, event_type: str) -> str:
    numeric = ", ".join(numeric_fields(event_type)) or "none"
    return f"{field!r} of {event_type} is not a number; numeric fields are {numeric}"


def _problem(detail: ErrorDetails) -> tuple[str, str]:
    loc = tuple(
        part
        for before, part in zip((None, *detail["loc"]), detail["loc"], strict=False)
        if not (isinstance(before, int) and part in _KINDS)  # pydantic's union tag
    )
    if detail["type"] == "extra_forbidden":
        return dotted_path(loc), "unknown field"
    if detail["type"] == "missing":
        return dotted_path(loc), "field required"
    if detail["type"] == "union_tag_invalid":
        return dotted_path((*loc, "kind")), f"unknown kind; kinds are {', '.join(sorted(_KINDS))}"
    if detail["type"] == "union_tag_not_found":
        return dotted_path((*loc, "kind")), "field required"
    return dotted_path(loc), detail["msg"].removeprefix("Value error, ")
