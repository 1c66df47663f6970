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


def band_rule(**changes: Any) -> Any:
    """The health band is red."""
    fields: dict[str, Any] = {
        "id": "health_red",
        "name": "Health red",
        "kind": "band",
        "severity": "critical",
        "noun": "health band red",
        "bands": ["red"],
    }
    return _RULE.validate_python(fields | changes)


def below_rule(**changes: Any) -> Any:
    """The health score is below 40."""
    fields: dict[str, Any] = {
        "id": "score_below_40",
        "name": "Score below 40",
        "kind": "score_below",
        "severity": "warning",
        "noun": "low health score",
        "below": 40,
    }
    return _RULE.validate_python(fields | changes)


def drop_rule(**changes: Any) -> Any:
    """The health score fell 20 points in 30 days."""
    fields: dict[str, Any] = {
        "id": "score_drop_20",
        "name": "Score drop",
        "kind": "score_drop",
        "severity": "warning",
        "noun": "health score drop",
        "points": 20,
        "within": "30d",
    }
    return _RULE.validate_python(fields | changes)


def renewal_rule(**changes: Any) -> Any:
    """The renewal is within 90 days and health is not green (the default bands)."""
    fields: dict[str, Any] = {
        "id": "renewal_at_risk",
        "name": "Renewal at risk",
        "kind": "renewal",
        "severity": "critical",
        "noun": "renewal at risk",
        "within": "90d",
    }
    return _RULE.validate_python(fields | changes)
