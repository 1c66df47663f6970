"""Alert tasks on a real PostgreSQL: started once per alert, listed per alert, owner, role
and state in due order, marked done and open again, overdue as the clock moves."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from pulse.alerts.playbooks.instantiate import PlannedTask
from pulse.alerts.playbooks.loading import parse_playbook
from pulse.alerts.playbooks_store.catalog import PlaybookCatalog
from pulse.alerts.playbooks_store.playbook_rows import create_playbook, ensure_default_playbooks
from pulse.alerts.playbooks_store.starting import start_playbook
from pulse.alerts.playbooks_store.tables import alert_tasks
from pulse.alerts.playbooks_store.task_rows import tasks_of_alerts
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import START, PlaybookStack

pytestmark = pytest.mark.integration

OPENED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def day(n: float) -> datetime:
    """`n` days after the alert opened."""
    return OPENED + timedelta(days=n)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def start(
    stack: PlaybookStack,
    alert_id: str,
    *,
    playbook_id: str = "support_escalation",
    owner: str | None = "dana",
    opened_at: datetime = OPENED,
    use_catalog: bool = False,
) -> list[PlannedTask]:
    """Start an alert's playbook in a transaction of its own, as the engine would."""
    async with stack.sessions.begin() as session:
        return await start_playbook(
            session,
            alert_id=alert_id,
            account_id="acme",
            rule_id="phone_tickets",
            playbook_id=playbook_id,
            owner=owner,
            opened_at=opened_at,
            catalog=stack.runtime.catalog if use_catalog else None,
        )


async def task_count(stack: PlaybookStack, alert_id: str) -> int:
    async with stack.sessions() as session:
        statement = select(func.count()).where(alert_tasks.c.alert_id == alert_id)
        return int((await session.execute(statement)).scalar_one())


async def list_tasks(stack: PlaybookStack, **params: Any) -> dict[str, Any]:
    response = await stack.client.get("/v1/tasks", params=params, headers=READ_KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_alert_gets_its_playbook_tasks_with_due_dates(
    playbook_stack: PlaybookStack,
) -> None:
    alert_id = unique("alert")
    planned = await start(playbook_stack, alert_id)
    assert planned == [
        PlannedTask(0, "Review the open tickets with the support lead", "csm", "dana", day(1)),
        PlannedTask(1, "Call the customer about their support experience", "csm", "dana", day(2)),
        PlannedTask(
            2, "Agree an owner and a fix date for each open ticket", "support_lead", None, day(3)
        ),
        PlannedTask(3, "Follow up that the fixes worked", "csm", "dana", day(7)),
    ]

    response = await playbook_stack.client.get(f"/v1/alerts/{alert_id}/tasks", headers=READ_KEY)
    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert [(t["position"], t["assignee"], t["state"], t["overdue"]) for t in tasks] == [
        (0, "dana", "open", False),
        (1, "dana", "open", False),
        (2, None, "open", False),
        (3, "dana", "open", False),
    ]
    assert tasks[0]["due_at"] == "2026-11-21T09:30:00Z"
    assert {(t["account_id"], t["rule_id"], t["playbook_id"]) for t in tasks} == {
        ("acme", "phone_tickets", "support_escalation")
    }


async def test_a_replayed_start_adds_no_second_set(playbook_stack: PlaybookStack) -> None:
    alert_id = unique("alert")
    first = await start(playbook_stack, alert_id)

    again = await start(playbook_stack, alert_id, opened_at=day(5), owner="someone else")

    assert again == first
    assert await task_count(playbook_stack, alert_id) == 4


async def test_an_unknown_playbook_starts_nothing_and_warns(
    playbook_stack: PlaybookStack, caplog: pytest.LogCaptureFixture
) -> None:
    alert_id = unique("alert")
    with caplog.at_level(logging.WARNING, logger="pulse.alerts.playbooks_store.starting"):
        assert await start(playbook_stack, alert_id, playbook_id="no_such_playbook") == []
    assert await task_count(playbook_stack, alert_id) == 0
    [record] = caplog.records
    assert record.getMessage() == "alert's playbook is unknown or deleted; no tasks started"
    assert record.__dict__["playbook_id"] == "no_such_playbook"


async def test_a_deleted_playbook_starts_nothing_and_its_started_tasks_stay(
    playbook_stack: PlaybookStack,
) -> None:
    client = playbook_stack.client
    body = {
        "id": "winback",
        "name": "Win back",
        "tasks": [{"title": "Call", "due": "1d", "owner_role": "csm"}],
    }
    assert (await client.post("/v1/playbooks", json=body, headers=ADMIN_KEY)).status_code == 201
    before = unique("alert")
    assert len(await start(playbook_stack, before, playbook_id="winback")) == 1

    assert (await client.delete("/v1/playbooks/winback", headers=ADMIN_KEY)).status_code == 204

    assert await start(playbook_stack, unique("alert"), playbook_id="winback") == []
    assert await task_count(playbook_stack, before) == 1


async def test_the_catalog_follows_changes_made_through_the_api(
    playbook_stack: PlaybookStack,
) -> None:
    client = playbook_stack.client
    body = {
        "id": "renewal_push",
        "name": "Renewal",
        "tasks": [{"title": "Call", "due": "1d", "owner_role": "csm"}],
    }
    assert (
        await start(playbook_stack, unique("alert"), playbook_id="renewal_push", use_catalog=True)
        == []
    )

    assert (await client.post("/v1/playbooks", json=body, headers=ADMIN_KEY)).status_code == 201
    created = await start(
        playbook_stack, unique("alert"), playbook_id="renewal_push", use_catalog=True
    )
    assert [t.title for t in created] == ["Call"]

    body["tasks"] = [{"title": "Email", "due": "2d", "owner_role": "account_executive"}]
    assert (
        await client.put("/v1/playbooks/renewal_push", json=body, headers=ADMIN_KEY)
    ).status_code == 200
    replaced = await start(
        playbook_stack, unique("alert"), playbook_id="renewal_push", use_catalog=True
    )
    assert [(t.title, t.owner_role, t.due_at) for t in replaced] == [
        ("Email", "account_executive", day(2))
    ]

    assert (await client.delete("/v1/playbooks/renewal_push", headers=ADMIN_KEY)).status_code == 204
    assert (
        await start(playbook_stack, unique("alert"), playbook_id="renewal_push", use_catalog=True)
        == []
    )


async def test_tasks_of_alerts_maps_every_alert_asked_for(playbook_stack: PlaybookStack) -> None:
    started, quiet = unique("alert"), unique("alert")
    await start(playbook_stack, started, playbook_id="collections")
    async with playbook_stack.sessions() as session:
        found = await tasks_of_alerts(session, [started, quiet])
    assert list(found) == [started, quiet]
    assert [t.position for t in found[started]] == [0, 1, 2, 3]
    assert [t.owner_role for t in found[started]] == [
        "finance",
        "finance",
        "csm",
        "account_executive",
    ]
    assert found[quiet] == []


async def test_tasks_are_listed_per_owner_and_role_in_due_order(
    playbook_stack: PlaybookStack,
) -> None:
    owner = unique("csm")
    late, early = unique("alert"), unique("alert")
    await start(playbook_stack, late, owner=owner, opened_at=day(10))
    await start(playbook_stack, early, owner=owner, opened_at=OPENED)

    mine = (await list_tasks(playbook_stack, owner=owner))["tasks"]
    assert [(t["alert_id"], t["position"]) for t in mine] == [
        (early, 0),
        (early, 1),
        (early, 3),
        (late, 0),
        (late, 1),
        (late, 3),
    ]
    support = (await list_tasks(playbook_stack, role="support_lead", alert_id=early))["tasks"]
    assert [(t["title"], t["assignee"]) for t in support] == [
        ("Agree an owner and a fix date for each open ticket", None)
    ]


async def test_pages_follow_the_cursor_to_the_end(playbook_stack: PlaybookStack) -> None:
    owner = unique("csm")
    alerts = [unique("alert") for _ in range(3)]
    for n, alert_id in enumerate(alerts):
        await start(playbook_stack, alert_id, owner=owner, opened_at=day(n))

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"owner": owner, "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = await list_tasks(playbook_stack, **params)
        pages += 1
        seen += [t["due_at"] for t in page["tasks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == 9
    assert seen == sorted(seen)
    assert seen[:3] == [
        "2026-11-21T09:30:00Z",
        "2026-11-22T09:30:00Z",
        "2026-11-22T09:30:00Z",
    ]


async def test_a_foreign_cursor_is_refused(playbook_stack: PlaybookStack) -> None:
    response = await playbook_stack.client.get(
        "/v1/tasks", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=READ_KEY
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_done_is_idempotent_and_reopen_opens_again(playbook_stack: PlaybookStack) -> None:
    client = playbook_stack.client
    alert_id = unique("alert")
    await start(playbook_stack, alert_id)
    tasks = (await list_tasks(playbook_stack, alert_id=alert_id))["tasks"]
    task_id = tasks[0]["id"]

    done = await client.post(
        f"/v1/tasks/{task_id}/done", json={"by": "dana", "note": "called"}, headers=ADMIN_KEY
    )
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["done_by"], done.json()["note"]) == (
        "done",
        "dana",
        "called",
    )
    assert done.json()["done_at"] == "2026-11-20T12:00:00Z"

    playbook_stack.clock.now = START + timedelta(hours=1)
    again = await client.post(f"/v1/tasks/{task_id}/done", headers=ADMIN_KEY)
    assert again.status_code == 200
    assert (again.json()["done_at"], again.json()["done_by"]) == ("2026-11-20T12:00:00Z", "dana")

    reopened = await client.post(f"/v1/tasks/{task_id}/reopen", headers=ADMIN_KEY)
    assert reopened.status_code == 200
    assert (reopened.json()["state"], reopened.json()["done_at"], reopened.json()["done_by"]) == (
        "open",
        None,
        None,
    )

    by_key = await client.post(f"/v1/tasks/{task_id}/done", headers=ADMIN_KEY)
    assert by_key.json()["done_by"] == "test-admin"


async def test_unknown_tasks_are_not_found_and_changes_need_a_write_key(
    playbook_stack: PlaybookStack,
) -> None:
    client = playbook_stack.client
    for action in ("done", "reopen"):
        missing = await client.post(f"/v1/tasks/999999999/{action}", headers=ADMIN_KEY)
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "code": "not_found",
            "message": "no task 999999999",
            "details": None,
        }
    denied = await client.post("/v1/tasks/1/done", headers=READ_KEY)
    assert denied.status_code == 403


async def test_overdue_tasks_show_as_the_clock_passes_their_due_date(
    playbook_stack: PlaybookStack,
) -> None:
    owner = unique("csm")
    alert_id = unique("alert")
    opened = START - timedelta(hours=12)
    await start(playbook_stack, alert_id, owner=owner, opened_at=opened)
    assert (await list_tasks(playbook_stack, owner=owner, state="overdue"))["tasks"] == []

    playbook_stack.clock.now = opened + timedelta(days=2)
    overdue = (await list_tasks(playbook_stack, owner=owner, state="overdue"))["tasks"]
    assert [(t["position"], t["overdue"]) for t in overdue] == [(0, True), (1, True)]
    first = overdue[0]["id"]

    assert (
        await playbook_stack.client.post(f"/v1/tasks/{first}/done", headers=ADMIN_KEY)
    ).status_code == 200
    overdue = (await list_tasks(playbook_stack, owner=owner, state="overdue"))["tasks"]
    assert [t["position"] for t in overdue] == [1]
    open_tasks = (await list_tasks(playbook_stack, owner=owner, state="open"))["tasks"]
    assert [(t["position"], t["overdue"]) for t in open_tasks] == [(1, True), (3, False)]
    done = (await list_tasks(playbook_stack, owner=owner, state="done"))["tasks"]
    assert [(t["position"], t["state"], t["overdue"]) for t in done] == [(0, "done", False)]


async def test_the_defaults_are_stored_only_once(playbook_stack: PlaybookStack) -> None:
    async with playbook_stack.sessions.begin() as session:
        await ensure_default_playbooks(session)
    listed = await playbook_stack.client.get("/v1/playbooks", headers=READ_KEY)
    versions = {p["id"]: p["version"] for p in listed.json()["playbooks"]}
    assert versions["support_escalation"] == 1


async def test_the_catalog_sees_another_replicas_change_once_its_read_is_old(
    playbook_stack: PlaybookStack,
) -> None:
    seconds = [0.0]
    catalog = PlaybookCatalog(max_age_s=30, monotonic=lambda: seconds[0])
    async with playbook_stack.sessions() as session:
        assert await catalog.get(session, "late_comer") is None
    body = {
        "id": "late_comer",
        "name": "Late",
        "tasks": [{"title": "Call", "due": "1d", "owner_role": "csm"}],
    }
    async with playbook_stack.sessions.begin() as session:
        await create_playbook(session, parse_playbook(body))

    seconds[0] = 29.9
    async with playbook_stack.sessions() as session:
        assert await catalog.get(session, "late_comer") is None
    seconds[0] = 30.0
    async with playbook_stack.sessions() as session:
        found = await catalog.get(session, "late_comer")
    assert found is not None
    assert [t.title for t in found.tasks] == ["Call"]
