"""`PULSE_ALERTS_PLAYBOOKS_FILE` on a real PostgreSQL: at each start the file's playbooks
that differ from the stored ones are stored (new, changed, deleted ones alike), the
others are left alone, an unchanged file writes nothing, and replicas starting together
store a playbook once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pulse.alerts.api.playbooks import router
from pulse.alerts.app import MIGRATIONS_DIR, SCHEMA
from pulse.alerts.playbook_hook import playbook_hook
from pulse.alerts.playbooks.definitions import Playbook, PlaybookSet
from pulse.alerts.playbooks_store.playbook_rows import store_file_playbooks
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.service import ServiceContext, ServiceSpec, create_service_app
from pulse.common.settings import Settings
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

pytestmark = pytest.mark.integration


def playbook(playbook_id: str, *titles: str) -> Playbook:
    """A playbook of CSM tasks, each due a day after the one before."""
    return Playbook.model_validate(
        {
            "id": playbook_id,
            "name": playbook_id.replace("_", " ").capitalize(),
            "tasks": [
                {"title": title, "due": f"{i + 1}d", "owner_role": "csm"}
                for i, title in enumerate(titles)
            ],
        }
    )


def playbook_file(*playbooks: Playbook) -> PlaybookSet:
    return PlaybookSet(version="1", playbooks=list(playbooks))


@dataclass
class Started:
    """A started process: its HTTP client and its context (database sessions)."""

    client: httpx.AsyncClient
    context: ServiceContext


@asynccontextmanager
async def started(settings: Settings, from_file: PlaybookSet) -> AsyncIterator[Started]:
    """The playbook routes and hook started with a playbooks file, as one process start."""
    await asyncio.to_thread(upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
    spec = ServiceSpec(
        name="alerts",
        schema=SCHEMA,
        description="playbooks file under test",
        routers=(router,),
        hooks=(playbook_hook(from_file=from_file),),
    )
    app = create_service_app(spec, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://alerts") as client:
            yield Started(client, app.state.context)


async def stored(client: httpx.AsyncClient, playbook_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/playbooks/{playbook_id}", headers=READ_KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def titles(body: dict[str, Any]) -> list[str]:
    return [task["title"] for task in body["tasks"]]


async def test_new_and_changed_playbooks_are_stored_and_the_others_left_alone(
    pulse_settings: Settings,
) -> None:
    changed_default = playbook("adoption_recovery", "Book a training session")
    new = playbook("file_new", "Call the sponsor")
    async with started(pulse_settings, playbook_file(changed_default, new)) as process:
        client = process.client
        adoption = await stored(client, "adoption_recovery")
        assert (titles(adoption), adoption["version"]) == (["Book a training session"], 2)
        created = await stored(client, "file_new")
        assert (titles(created), created["version"]) == (["Call the sponsor"], 1)
        # A shipped playbook the file does not name is as it was stored.
        assert (await stored(client, "relationship_rebuild"))["version"] == 1


async def test_an_unchanged_file_writes_nothing_at_the_next_start(
    pulse_settings: Settings,
) -> None:
    unchanged = playbook_file(playbook("file_same", "Review usage"))
    async with started(pulse_settings, unchanged) as process:
        client = process.client
        first = await stored(client, "file_same")
    async with started(pulse_settings, unchanged) as process:
        client = process.client
        assert await stored(client, "file_same") == first


async def test_a_changed_or_deleted_playbook_is_restored_from_the_file_at_the_next_start(
    pulse_settings: Settings,
) -> None:
    from_file = playbook_file(playbook("file_kept", "Review usage"))
    async with started(pulse_settings, from_file) as process:
        client = process.client
        edited = playbook("file_kept", "Something else").model_dump(mode="json")
        response = await client.put("/v1/playbooks/file_kept", json=edited, headers=ADMIN_KEY)
        assert response.status_code == 200, response.text
    async with started(pulse_settings, from_file) as process:
        client = process.client
        restored = await stored(client, "file_kept")
        assert (titles(restored), restored["version"]) == (["Review usage"], 3)
        deleted = await client.delete("/v1/playbooks/file_kept", headers=ADMIN_KEY)
        assert deleted.status_code == 204
    async with started(pulse_settings, from_file) as process:
        client = process.client
        back = await stored(client, "file_kept")
        assert (titles(back), back["version"]) == (["Review usage"], 5)


async def test_replicas_starting_together_store_a_new_playbook_once(
    pulse_settings: Settings,
) -> None:
    from_file = playbook_file(playbook("file_raced", "Review usage"))
    async with started(pulse_settings, playbook_file(playbook("file_other", "Call"))) as process:
        sessions = process.context.sessions

        async def start_of_one_replica() -> list[str]:
            async with sessions.begin() as session:
                return await store_file_playbooks(session, from_file.playbooks)

        written = await asyncio.gather(*(start_of_one_replica() for _ in range(4)))
        assert sorted(written) == [[], [], [], ["file_raced"]]
        assert (await stored(process.client, "file_raced"))["version"] == 1
