"""The playbooks shipped with Pulse load and cover every playbook the shipped rules name."""

from __future__ import annotations

from datetime import timedelta

from pulse.alerts.playbooks.loading import default_playbooks, default_playbooks_text, load_playbooks
from pulse.alerts.rules.loading import default_rules


def test_every_playbook_the_default_rules_name_is_shipped() -> None:
    shipped = {p.id for p in load_playbooks(default_playbooks_text()).playbooks}
    named = {r.playbook for r in default_rules().rules}
    assert named == {
        "support_escalation",
        "adoption_recovery",
        "relationship_rebuild",
        "collections",
        "detractor_follow_up",
        "executive_review",
        "health_review",
        "renewal_save",
    }
    assert named == shipped


def test_shipped_tasks_are_listed_in_due_order() -> None:
    for playbook in default_playbooks().playbooks:
        dues = [t.due for t in playbook.tasks]
        assert dues == sorted(dues), playbook.id


def test_support_escalation_reviews_in_a_day_calls_in_two_follows_up_in_a_week() -> None:
    escalation = next(p for p in default_playbooks().playbooks if p.id == "support_escalation")
    assert [(t.title, t.due, t.owner_role) for t in escalation.tasks] == [
        ("Review the open tickets with the support lead", timedelta(days=1), "csm"),
        ("Call the customer about their support experience", timedelta(days=2), "csm"),
        ("Agree an owner and a fix date for each open ticket", timedelta(days=3), "support_lead"),
        ("Follow up that the fixes worked", timedelta(days=7), "csm"),
    ]
