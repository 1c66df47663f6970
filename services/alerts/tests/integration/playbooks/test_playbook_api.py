"""The playbook routes on a real PostgreSQL: the shipped defaults stored at first start,
create, read, replace, delete, validation errors with paths, and key scopes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from pulse.alerts.playbooks_store.playbook_rows import ensure_default_playbooks
from pulse.alerts.playbooks_store.tables import playbooks
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import PlaybookStack

pytestmark = pytest.mark.integration

SHIPPED = [
    "adoption_recovery",
    "collections",
    "detractor_follow_up",
    "relationship_rebuild",
    "support_escalation",
]


def playbook(playbook_id: str, *titles: str) -> dict[str, Any]:
    """A playbook whose tasks are each due a day after the one before, owned by the CSM."""
    return {
        "id": playbook_id,
        "name": playbook_id.replace("_", " ").capitalize(),
        "tasks": [
            {"title": title, "due": f"{i + 1}d", "owner_role": "csm"}
            for i, title in enumerate(titles)
        ],
    }


async def test_the_shipped_playbooks_are_stored_at_first_start_and_listed(
    playbook_stack: PlaybookStack,
) -> None:
    response = await playbook_stack.client.get("/v1/playbooks", headers=READ_KEY)
    assert response.status_code == 200
    listed = response.json()["playbooks"]
    shipped = [p for p in listed if p["id"] in SHIPPED]
    assert [p["id"] for p in shipped] == SHIPPED
    assert {p["version"] for p in shipped} == {1}
    escalation = next(p for p in shipped if p["id"] == "support_escalation")
    assert escalation["tasks"][0] == {
        "title": "Review the open tickets with the support lead",
        "due": "1d",
        "owner_role": "csm",
        "description": (
            "Read the tickets of the last 14 days; find the common cause and what is blocked."
        ),
    }


async def test_defaults_a_person_deleted_do_not_come_back(playbook_stack: PlaybookStack) -> None:
    client = playbook_stack.client
    assert (await client.delete("/v1/playbooks/collections", headers=ADMIN_KEY)).status_code == 204

    async with playbook_stack.sessions.begin() as session:
        await ensure_default_playbooks(session)
        versions = (
            await session.execute(
                select(playbooks.c.version, playbooks.c.deleted_at.is_not(None)).where(
                    playbooks.c.id == "collections"
                )
            )
        ).one()

    assert tuple(versions) == (2, True)
    assert (await client.get("/v1/playbooks/collections", headers=READ_KEY)).status_code == 404


async def test_create_read_replace_delete(playbook_stack: PlaybookStack) -> None:
    client = playbook_stack.client
    created = await client.post(
        "/v1/playbooks", json=playbook("churn_save", "Call", "Offer"), headers=ADMIN_KEY
    )
    assert created.status_code == 201
    assert created.json()["version"] == 1
    assert [t["due"] for t in created.json()["tasks"]] == ["1d", "2d"]

    replaced = await client.put(
        "/v1/playbooks/churn_save", json=playbook("churn_save", "Call again"), headers=ADMIN_KEY
    )
    assert replaced.status_code == 200
    assert replaced.json()["version"] == 2

    read = await client.get("/v1/playbooks/churn_save", headers=READ_KEY)
    assert read.status_code == 200
    assert [t["title"] for t in read.json()["tasks"]] == ["Call again"]
    assert read.json()["version"] == 2

    deleted = await client.delete("/v1/playbooks/churn_save", headers=ADMIN_KEY)
    assert deleted.status_code == 204
    for method in (client.get, client.delete):
        gone = await method("/v1/playbooks/churn_save", headers=ADMIN_KEY)
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "not_found"

    revived = await client.post(
        "/v1/playbooks", json=playbook("churn_save", "Call"), headers=ADMIN_KEY
    )
    assert revived.status_code == 201
    assert revived.json()["version"] == 4


async def test_a_taken_id_is_a_conflict(playbook_stack: PlaybookStack) -> None:
    body = playbook("taken", "Call")
    client = playbook_stack.client
    assert (await client.post("/v1/playbooks", json=body, headers=ADMIN_KEY)).status_code == 201

    again = await client.post("/v1/playbooks", json=body, headers=ADMIN_KEY)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "playbook_exists"


async def test_an_invalid_playbook_lists_each_problem_with_its_path(
    playbook_stack: PlaybookStack,
) -> None:
    body = playbook("broken", "Call", "Call")
    body["tasks"][0]["due"] = "2 days"
    body["tasks"].append({"title": "Audit", "due": "1d", "owner_role": "auditor"})

    response = await playbook_stack.client.post("/v1/playbooks", json=body, headers=ADMIN_KEY)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_playbook"
    assert error["details"] == [
        {
            "path": "tasks[0].due",
            "message": "expected a duration such as 14d, 12h, 30m or 0s, got '2 days'",
        },
        {
            "path": "tasks[2].owner_role",
            "message": "unknown role 'auditor'; roles are csm, account_executive, "
            "support_lead, solutions_engineer, cs_manager, executive_sponsor, finance",
        },
    ]


async def test_the_duplicate_title_check_runs_once_the_structure_is_valid(
    playbook_stack: PlaybookStack,
) -> None:
    response = await playbook_stack.client.post(
        "/v1/playbooks", json=playbook("twice", "Call", "Call"), headers=ADMIN_KEY
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"path": "tasks[1].title", "message": "duplicate task title (also tasks[0])"}
    ]


async def test_replacing_needs_the_same_id_and_a_known_playbook(
    playbook_stack: PlaybookStack,
) -> None:
    client = playbook_stack.client
    other = await client.put(
        "/v1/playbooks/collections", json=playbook("other", "Call"), headers=ADMIN_KEY
    )
    assert other.status_code == 422
    assert other.json()["error"]["details"] == [
        {"path": "id", "message": "must be the id in the path, 'collections'"}
    ]
    unknown = await client.put(
        "/v1/playbooks/nowhere", json=playbook("nowhere", "Call"), headers=ADMIN_KEY
    )
    assert unknown.status_code == 404


async def test_a_body_that_is_not_json_is_malformed(playbook_stack: PlaybookStack) -> None:
    response = await playbook_stack.client.post(
        "/v1/playbooks", content=b"id: yaml", headers=ADMIN_KEY
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


async def test_a_body_over_the_limit_is_refused_before_parsing(
    playbook_stack: PlaybookStack,
) -> None:
    response = await playbook_stack.client.post(
        "/v1/playbooks", content=b" " * (256 * 1024 + 1), headers=ADMIN_KEY
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_changes_need_a_write_key_and_reads_a_key(playbook_stack: PlaybookStack) -> None:
    client = playbook_stack.client
    denied = await client.post("/v1/playbooks", json=playbook("x", "Call"), headers=READ_KEY)
    assert denied.status_code == 403
    assert (await client.delete("/v1/playbooks/collections", headers=READ_KEY)).status_code == 403
    assert (await client.get("/v1/playbooks")).status_code == 401


async def test_the_openapi_document_shows_the_playbook_body(
    playbook_stack: PlaybookStack,
) -> None:
    document = (await playbook_stack.client.get("/openapi.json")).json()
    body = document["paths"]["/v1/playbooks"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["id", "name", "tasks"]
    assert schema["properties"]["tasks"]["items"]["properties"]["owner_role"]["enum"][0] == "csm"
