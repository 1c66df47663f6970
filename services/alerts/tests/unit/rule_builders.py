"""Rules built in code for the state tests, without going through YAML."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from pulse.alerts.rules.definitions import Rule

_RULE: TypeAdapter[Rule] = TypeAdapter(Rule)


def phone_rule(**changes: Any) -> Any:
    """At least 3 phone tickets in 14 days (fields overridable)."""
    fields: dict[str, Any] = {
        "id": "phone_tickets",
        "name": "Phone calls",
        "kind": "count",
        "severity": "warning",
        "noun": "phone calls to support",
        "event": "support.ticket.opened",
        "where": {"field": "channel", "equals": "phone"},
        "at_least": 3,
        "window": "14d",
    }
    return _RULE.validate_python(fields | changes)


def overdue_sum_rule(**changes: Any) -> Any:
    """Overdue amounts adding up to at least 1000 in 7 days."""
    fields: dict[str, Any] = {
        "id": "overdue_amount",
        "name": "Overdue amount",
        "kind": "sum",
        "severity": "critical",
        "noun": "overdue",
        "event": "invoice.overdue",
        "field": "amount",
        "at_least": 1000,
        "window": "7d",
    }
    return _RULE.validate_python(fields | changes)


def quiet_rule(**changes: Any) -> Any:
    """No usage for 14 days."""
    fields: dict[str, Any] = {
        "id": "no_usage",
        "name": "No usage",
        "kind": "absence",
        "severity": "critical",
        "noun": "product usage",
        "event": "usage.activity",
        "silence": "14d",
    }
    return _RULE.validate_python(fields | changes)


def detractor_rule(**changes: Any) -> Any:
    """An NPS score of 6 or less; holds for 14 days."""
    fields: dict[str, Any] = {
        "id": "nps_detractor",
        "name": "NPS detractor",
        "kind": "match",
        "severity": "warning",
        "noun": "NPS detractor response",
        "event": "survey.response",
        "where": {"all": [{"field": "kind", "equals": "nps"}, {"field": "score", "lte": 6}]},
        "lasts": "14d",
    }
    return _RULE.validate_python(fields | changes)
