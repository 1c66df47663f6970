"""Playbooks made concrete: due dates from the moment the alert opened, CSM tasks
assigned to the account's owner, overdue from the due moment, the webhook summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.alerts.playbooks.definitions import OWNER_ROLES, Playbook, Task
from pulse.alerts.playbooks.instantiate import PlannedTask, tasks_for
from pulse.alerts.playbooks.loading import parse_playbook
from pulse.alerts.playbooks.summary import playbook_summary
from pulse.alerts.playbooks.task_state import is_overdue

OPENED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

ESCALATION = parse_playbook(
    {
        "id": "escalation",
        "name": "Escalation",
        "tasks": [
            {"title": "Review tickets", "due": "1d", "owner_role": "support_lead"},
            {"title": "Call the customer", "due": "36h", "owner_role": "csm"},
            {"title": "Executive review", "due": "14d", "owner_role": "executive_sponsor"},
        ],
    }
)


def test_due_dates_count_from_the_moment_the_alert_opened() -> None:
    assert tasks_for(ESCALATION, OPENED, "dana") == [
        PlannedTask(
            0, "Review tickets", "support_lead", None, datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        ),
        PlannedTask(
            1, "Call the customer", "csm", "dana", datetime(2026, 11, 21, 21, 30, tzinfo=UTC)
        ),
        PlannedTask(
            2,
            "Executive review",
            "executive_sponsor",
            None,
            datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        ),
    ]


def test_without_an_owner_no_task_is_assigned() -> None:
    assert [t.assignee for t in tasks_for(ESCALATION, OPENED, None)] == [None, None, None]


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        tasks_for(ESCALATION, datetime(2026, 11, 20, 9, 30), "dana")


def test_a_task_is_overdue_from_its_due_moment_until_done() -> None:
    due = datetime(2026, 11, 22, tzinfo=UTC)
    assert not is_overdue(due, None, due - timedelta(seconds=1))
    assert is_overdue(due, None, due)
    assert is_overdue(due, None, due + timedelta(days=3))
    assert not is_overdue(due, due + timedelta(days=1), due + timedelta(days=3))


tasks = st.lists(
    st.builds(
        Task,
        title=st.uuids().map(str),
        due=st.integers(1, 3_650 * 86_400).map(lambda s: timedelta(seconds=s)),
        owner_role=st.sampled_from(OWNER_ROLES),
    ),
    min_size=1,
    max_size=50,
)


@given(
    tasks=tasks,
    opened=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    owner=st.none() | st.text(min_size=1, max_size=20),
)
def test_each_task_keeps_its_place_due_offset_and_role(
    tasks: list[Task], opened: datetime, owner: str | None
) -> None:
    playbook = Playbook(id="p", name="P", tasks=tasks)
    planned = tasks_for(playbook, opened, owner)
    assert [p.position for p in planned] == list(range(len(tasks)))
    assert [p.due_at - opened for p in planned] == [t.due for t in tasks]
    assert [p.owner_role for p in planned] == [t.owner_role for t in tasks]
    assert all(p.assignee == (owner if p.owner_role == "csm" else None) for p in planned)


def test_the_webhook_summary_names_an_owner_for_every_task() -> None:
    tasks = tasks_for(ESCALATION, OPENED, "dana")
    assert playbook_summary("Escalation", list(reversed(tasks))) == {
        "name": "Escalation",
        "tasks": [
            {
                "title": "Review tickets",
                "due_at": datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
                "owner": "support_lead",
                "owner_role": "support_lead",
            },
            {
                "title": "Call the customer",
                "due_at": datetime(2026, 11, 21, 21, 30, tzinfo=UTC),
                "owner": "dana",
                "owner_role": "csm",
            },
            {
                "title": "Executive review",
                "due_at": datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
                "owner": "executive_sponsor",
                "owner_role": "executive_sponsor",
            },
        ],
    }
