"""The overdue gauge on a real PostgreSQL: counted by owner role at the clock's moment,
refreshed by the hook's loop, never labelled by account or person. A module of its own:
its database holds only these tasks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pulse.alerts.playbooks_store.overdue_gauge import refresh_overdue_gauge
from pulse.alerts.playbooks_store.starting import start_playbook
from pulse.devtools.testing.plugin import ADMIN_KEY

from .conftest import START, PlaybookStack

pytestmark = pytest.mark.integration


async def gauge(stack: PlaybookStack) -> dict[str, float]:
    """The gauge's samples by their labels, as /metrics serves them."""
    text = (await stack.client.get("/metrics")).text
    return {
        sample.labels["owner_role"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "pulse_alert_tasks_overdue"
        for sample in family.samples
    }


async def gauge_once(stack: PlaybookStack, expected: dict[str, float]) -> dict[str, float]:
    """The gauge once the hook's loop shows `expected` (fails after 10 s)."""
    seen: dict[str, float] = {}
    for _ in range(200):
        seen = await gauge(stack)
        if all(seen.get(role) == value for role, value in expected.items()):
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"gauge never showed {expected}; last seen {seen}")


async def test_overdue_tasks_are_counted_by_role_as_the_clock_moves(
    playbook_stack: PlaybookStack,
) -> None:
    async with playbook_stack.sessions.begin() as session:
        for alert_id, playbook_id, days_ago in (
            ("a1", "support_escalation", 2.5),
            ("a2", "collections", 6),
        ):
            await start_playbook(
                session,
                alert_id=alert_id,
                account_id="acme",
                rule_id="r",
                playbook_id=playbook_id,
                owner="dana",
                opened_at=START - timedelta(days=days_ago),
            )
        counted = await refresh_overdue_gauge(session, START)

    assert counted == {
        "csm": 3,
        "account_executive": 0,
        "support_lead": 0,
        "solutions_engineer": 0,
        "cs_manager": 0,
        "executive_sponsor": 0,
        "finance": 2,
    }
    seen = await gauge_once(playbook_stack, {"csm": 3, "finance": 2, "support_lead": 0})
    assert set(seen) == set(counted)

    playbook_stack.clock.now = START + timedelta(days=1)
    await gauge_once(playbook_stack, {"csm": 3, "finance": 2, "support_lead": 1})

    tasks = await playbook_stack.client.get(
        "/v1/tasks", params={"alert_id": "a2", "role": "finance"}, headers=ADMIN_KEY
    )
    for task in tasks.json()["tasks"]:
        done = await playbook_stack.client.post(f"/v1/tasks/{task['id']}/done", headers=ADMIN_KEY)
        assert done.status_code == 200
    await gauge_once(playbook_stack, {"csm": 3, "finance": 0, "support_lead": 1})
