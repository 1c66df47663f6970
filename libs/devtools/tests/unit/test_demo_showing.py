"""What `pulse demo` prints, from webhook messages and API answers."""

from __future__ import annotations

from typing import Any

from pulse.devtools.demo.showing import (
    alert_lines,
    band_table,
    percent,
    retention_lines,
    riskiest_renewals_table,
)


def test_an_alert_shows_its_reason_health_and_playbook_tasks() -> None:
    message = {
        "type": "alert.opened",
        "data": {
            "rule_id": "support_phone_calls",
            "name": "Hooked Inc",
            "account_id": "acme",
            "severity": "high",
            "reason": "Hooked Inc: 3 phone calls to support in 14 days",
            "health": {"score": 41.6, "band": "yellow"},
            "playbook": {
                "name": "Support escalation",
                "tasks": [
                    {"title": "Call the sponsor", "owner": "csm", "due_at": "2026-12-05T00:00:00Z"}
                ],
            },
        },
    }
    assert alert_lines(message) == [
        "[HIGH] Hooked Inc - support_phone_calls",
        "    why: Hooked Inc: 3 phone calls to support in 14 days",
        "    health: 42 (yellow)",
        "    playbook: Support escalation",
        "      - Call the sponsor (csm, due 2026-12-05)",
    ]


def test_an_alert_without_name_health_or_playbook_still_reads() -> None:
    assert alert_lines({"type": "alert.opened", "data": {"account_id": "a1"}}) == [
        "[-] a1 - alert.opened"
    ]


def test_bands_are_counted_per_segment_with_totals() -> None:
    accounts = [
        {"segment": "high_touch", "band": "green"},
        {"segment": "high_touch", "band": "red"},
        {"segment": "tech_touch", "band": "red"},
    ]
    assert band_table(accounts) == [
        "segment     green  yellow  red  total",
        "high_touch      1       0    1      2",
        "low_touch       0       0    0      0",
        "tech_touch      0       0    1      1",
        "all             1       0    2      3",
    ]


def test_the_riskiest_renewals_come_first_then_the_biggest() -> None:
    renewals: list[dict[str, Any]] = [
        {
            "name": "Small",
            "category": "at_risk",
            "arr": "1000.00",
            "probability": "0.5",
            "segment": "tech_touch",
            "renewal_date": "2027-01-02",
            "score": 30.2,
            "band": "red",
        },
        {"name": "Safe", "category": "commit", "arr": "90000.00", "probability": "0.95"},
        {
            "name": "Big",
            "category": "at_risk",
            "arr": "250000.50",
            "probability": "0.5",
            "segment": "low_touch",
            "renewal_date": "2027-02-01",
            "score": None,
            "band": "red",
        },
    ]
    lines = riskiest_renewals_table(renewals, "USD", top=2)
    assert [line.split()[0] for line in lines] == ["account", "Big", "Small"]
    assert "250,000 USD" in lines[1]
    assert lines[1].split()[-5:] == ["-", "red", "at_risk", "50.0", "%"]
    assert riskiest_renewals_table([], "USD", top=5) == ["no renewal in the next 90 days"]


def test_retention_reads_the_cohort_figures() -> None:
    body = {
        "from": "2026-08-01",
        "to": "2026-12-01",
        "currency": "USD",
        "total": {
            "cohort": {
                "accounts": 10,
                "starting_arr": "1000.00",
                "nrr": 1.05,
                "grr": 0.9,
                "logo_churn_rate": 0.1,
                "churned_accounts": 1,
            },
            "churn_by_reason": [{"reason": "adoption", "accounts": 1, "arr": "50.00"}],
        },
    }
    assert retention_lines(body) == [
        "cohort: 10 accounts, 1,000 USD ARR on 2026-08-01; measured to 2026-12-01",
        "NRR 105.0 %   GRR 90.0 %   logo churn 10.0 % (1 accounts)",
        "churned for adoption: 1 accounts, 50 USD",
    ]
    assert percent(None) == "-"
