"""The rules shipped with Pulse load, and each one picks out its risk signal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pulse.alerts.rules.definitions import (
    AbsenceRule,
    BandRule,
    CountRule,
    MatchRule,
    RenewalRule,
    ScoreDropRule,
)
from pulse.alerts.rules.loading import default_rules, default_rules_text, load_rules

from .conftest import NOW, make_event


def rule(rule_id: str) -> Any:
    return next(r for r in default_rules().rules if r.id == rule_id)


def test_the_shipped_rules_load_and_cover_the_risk_signals() -> None:
    rules = load_rules(default_rules_text()).rules
    assert [r.id for r in rules] == [
        "phone_tickets",
        "no_usage",
        "key_contact_left",
        "invoice_overdue_30",
        "nps_detractor",
        "health_red",
        "score_drop_20",
        "renewal_at_risk",
    ]
    assert all(r.playbook for r in rules)


def test_phone_tickets_counts_three_phone_calls_in_14_days() -> None:
    phone = rule("phone_tickets")
    assert isinstance(phone, CountRule)
    assert phone.at_least == 3
    assert phone.window.days == 14
    opened = "support.ticket.opened"
    assert phone.selects(make_event(opened, NOW, ticket_id="t", channel="phone"))
    assert not phone.selects(make_event(opened, NOW, ticket_id="t", channel="chat"))


def test_no_usage_is_14_days_of_silence() -> None:
    quiet = rule("no_usage")
    assert isinstance(quiet, AbsenceRule)
    assert quiet.silence.days == 14
    assert quiet.selects(make_event("usage.activity", NOW, user_id="u"))


def test_key_contact_left_needs_a_key_role_and_a_departure() -> None:
    left = rule("key_contact_left")
    assert isinstance(left, MatchRule)
    for role, change, expected in [
        ("sponsor", "left", True),
        ("champion", "left", True),
        ("executive", "left", True),
        ("user", "left", False),
        ("sponsor", "joined", False),
    ]:
        event = make_event("contact.changed", NOW, contact_id="c", role=role, change=change)
        assert left.selects(event) is expected


def test_invoice_overdue_from_30_days() -> None:
    overdue = rule("invoice_overdue_30")
    for days, expected in [(29, False), (30, True), (90, True)]:
        event = make_event("invoice.overdue", NOW, invoice_id="i", days_overdue=days)
        assert overdue.selects(event) is expected


def test_nps_detractors_score_6_or_less() -> None:
    detractor = rule("nps_detractor")
    for kind, score, expected in [("nps", 6, True), ("nps", 7, False), ("csat", 1, False)]:
        event = make_event("survey.response", NOW, kind=kind, score=score)
        assert detractor.selects(event) is expected


def test_health_red_is_critical_when_the_band_turns_red() -> None:
    red = rule("health_red")
    assert isinstance(red, BandRule)
    assert (red.bands, red.severity, red.playbook) == (["red"], "critical", "executive_review")


def test_score_drop_20_is_a_fall_of_20_points_in_30_days() -> None:
    drop = rule("score_drop_20")
    assert isinstance(drop, ScoreDropRule)
    assert (drop.points, drop.within) == (20, timedelta(days=30))
    assert (drop.severity, drop.playbook) == ("warning", "health_review")


def test_renewal_at_risk_is_90_days_out_and_not_green() -> None:
    renewal = rule("renewal_at_risk")
    assert isinstance(renewal, RenewalRule)
    assert (renewal.within, renewal.bands) == (timedelta(days=90), ["yellow", "red"])
    assert (renewal.severity, renewal.playbook) == ("critical", "renewal_save")
