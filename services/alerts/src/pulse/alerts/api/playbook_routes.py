"""The playbook routes: list, read, create, replace and delete playbooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from pulse.alerts.api.playbook_params import (
    InvalidPlaybookError,
    Runtime,
    playbook_body_schema,
    read_playbook,
)
from pulse.alerts.playbooks.definitions import Playbook
from pulse.alerts.playbooks_store import playbook_rows
from pulse.alerts.playbooks_store.playbook_rows import StoredPlaybook
from pulse.common.auth import ReadKey, WriteKey
from pulse.common.errors import NotFoundError, PulseError
from pulse.common.service import Context

router = APIRouter()
PlaybookIdPath = Annotated[str, Path(max_length=64)]
_BODY = playbook_body_schema(Playbook)


class PlaybookExistsConflict(PulseError):
    """A playbook with this id exists (409)."""

    status_code = 409
    code = "playbook_exists"


def playbook_body(stored: StoredPlaybook) -> dict[str, Any]:
    """A stored playbook as the API shows it: its definition, version and last change."""
    return {
        **stored.playbook.model_dump(mode="json"),
        "version": stored.version,
        "updated_at": stored.updated_at,
    }


def _not_found(playbook_id: str) -> NotFoundError:
    return NotFoundError(f"no playbook {playbook_id!r}")


@router.get("/playbooks", summary="Every playbook")
async def list_playbooks(_: ReadKey, context: Context) -> dict[str, Any]:
    """Every playbook not deleted, by id, with its tasks."""
    async with context.reads() as session:
        stored = await playbook_rows.list_playbooks(session)
    return {"playbooks": [playbook_body(s) for s in stored]}


@router.get("/playbooks/{playbook_id}", summary="One playbook")
async def get_playbook(_: ReadKey, playbook_id: PlaybookIdPath, context: Context) -> dict[str, Any]:
    """The playbook with its tasks; 404 when unknown or deleted."""
    async with context.reads() as session:
        stored = await playbook_rows.get_playbook(session, playbook_id)
    if stored is None:
        raise _not_found(playbook_id)
    return playbook_body(stored)


@router.post("/playbooks", status_code=201, summary="Create a playbook", openapi_extra=_BODY)
async def create_playbook(
    request: Request, _: WriteKey, context: Context, runtime: Runtime
) -> dict[str, Any]:
    """422 listing each problem's path; 409 when the id is taken (a deleted playbook's id
    is free again: it comes back under its next version)."""
    playbook = await read_playbook(request)
    try:
        async with context.sessions.begin() as session:
            stored = await playbook_rows.create_playbook(session, playbook)
    except playbook_rows.PlaybookExistsError as error:
        raise PlaybookExistsConflict(str(error)) from error
    runtime.catalog.forget()
    return playbook_body(stored)


@router.put("/playbooks/{playbook_id}", summary="Replace a playbook", openapi_extra=_BODY)
async def replace_playbook(
    request: Request,
    _: WriteKey,
    playbook_id: PlaybookIdPath,
    context: Context,
    runtime: Runtime,
) -> dict[str, Any]:
    """Alerts opened from now on get the new tasks; tasks already started stay. 404 when
    unknown (POST creates), 422 when the body's id is another."""
    playbook = await read_playbook(request)
    if playbook.id != playbook_id:
        message = f"must be the id in the path, {playbook_id!r}"
        raise InvalidPlaybookError(
            f"playbook invalid: id: {message}", details=[{"path": "id", "message": message}]
        )
    async with context.sessions.begin() as session:
        stored = await playbook_rows.replace_playbook(session, playbook)
    if stored is None:
        raise _not_found(playbook_id)
    runtime.catalog.forget()
    return playbook_body(stored)


@router.delete("/playbooks/{playbook_id}", status_code=204, summary="Delete a playbook")
async def delete_playbook(
    _: WriteKey, playbook_id: PlaybookIdPath, context: Context, runtime: Runtime
) -> Response:
    """Alerts opened from now on start no tasks from it; tasks already started stay."""
    async with context.sessions.begin() as session:
        deleted = await playbook_rows.delete_playbook(session, playbook_id)
    if not deleted:
        raise _not_found(playbook_id)
    runtime.catalog.forget()
    return Response(status_code=204)
