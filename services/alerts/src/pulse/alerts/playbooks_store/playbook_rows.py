"""Stored playbooks: list, read, create, replace, delete, the shipped defaults on first
start and a playbooks file's at every start. Callers own the transaction; these functions
never commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.playbooks.definitions import Playbook
from pulse.alerts.playbooks.loading import default_playbooks
from pulse.alerts.playbooks_store.tables import playbooks

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredPlaybook:
    """A playbook as stored: its definition, its version and when it last changed."""

    playbook: Playbook
    version: int
    updated_at: datetime


class PlaybookExistsError(ValueError):
    """A playbook with this id is already stored (and not deleted)."""


_COLUMNS = (playbooks.c.definition, playbooks.c.version, playbooks.c.updated_at)
_LIVE = playbooks.c.deleted_at.is_(None)


async def list_playbooks(session: AsyncSession) -> list[StoredPlaybook]:
    """Every playbook not deleted, by id."""
    rows = await session.execute(select(*_COLUMNS).where(_LIVE).order_by(playbooks.c.id))
    return [_stored(row) for row in rows.mappings()]


async def get_playbook(session: AsyncSession, playbook_id: str) -> StoredPlaybook | None:
    """The playbook with this id, unless unknown or deleted."""
    row = (
        (await session.execute(select(*_COLUMNS).where(playbooks.c.id == playbook_id, _LIVE)))
        .mappings()
        .first()
    )
    return _stored(row) if row is not None else None


async def create_playbook(session: AsyncSession, playbook: Playbook) -> StoredPlaybook:
    """Store a new playbook (version 1), or bring a deleted one back under its next version.

    Raises `PlaybookExistsError` when a playbook with this id is stored and not deleted.
    """
    values = _values(playbook)
    statement = (
        insert(playbooks)
        .values(id=playbook.id, version=1, **values)
        .on_conflict_do_update(
            index_elements=[playbooks.c.id],
            set_={
                **values,
                "version": playbooks.c.version + 1,
                "deleted_at": None,
                "created_at": func.now(),
            },
            where=playbooks.c.deleted_at.is_not(None),
        )
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise PlaybookExistsError(f"playbook {playbook.id!r} already exists; PUT replaces it")
    return _stored(row)


async def replace_playbook(session: AsyncSession, playbook: Playbook) -> StoredPlaybook | None:
    """Replace a stored playbook under its next version; None when unknown or deleted."""
    statement = (
        update(playbooks)
        .where(playbooks.c.id == playbook.id, _LIVE)
        .values(**_values(playbook), version=playbooks.c.version + 1)
        .returning(*_COLUMNS)
    )
    row = (await session.execute(statement)).mappings().first()
    return _stored(row) if row is not None else None


async def delete_playbook(session: AsyncSession, playbook_id: str) -> bool:
    """Mark a playbook deleted; False when unknown or already deleted. Tasks it started
    stay as they are."""
    statement = (
        update(playbooks)
        .where(playbooks.c.id == playbook_id, _LIVE)
        .values(deleted_at=func.now(), updated_at=func.now(), version=playbooks.c.version + 1)
        .returning(playbooks.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def ensure_default_playbooks(session: AsyncSession) -> None:
    """Store the shipped playbooks when no playbook was ever stored (deleted ones count:
    defaults a person deleted stay deleted). Safe when replicas start together."""
    if (await session.execute(select(playbooks.c.id).limit(1))).first() is not None:
        return
    shipped = default_playbooks().playbooks
    rows = [{"id": p.id, "version": 1, **_values(p)} for p in shipped]
    await session.execute(insert(playbooks).values(rows).on_conflict_do_nothing())
    log.info("stored the default playbooks", extra={"count": len(rows)})


async def store_file_playbooks(session: AsyncSession, wanted: Sequence[Playbook]) -> list[str]:
    """Store each playbook of a playbooks file that differs from the stored one: created,
    brought back when deleted, or replaced under its next version. Others stay as they
    are. Returns the ids written. Replicas starting together take turns, so each sees what
    the one before stored."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('alerts.playbooks_file'))"))
    written: list[str] = []
    for playbook in wanted:
        stored = await get_playbook(session, playbook.id)
        if stored is None:
            await create_playbook(session, playbook)
        elif _definition(stored.playbook) != _definition(playbook):
            await replace_playbook(session, playbook)
        else:
            continue
        written.append(playbook.id)
    if written:
        log.info("stored playbooks from the playbooks file", extra={"playbooks": written})
    return written


def _definition(playbook: Playbook) -> dict[str, Any]:
    return playbook.model_dump(mode="json")


def _values(playbook: Playbook) -> dict[str, Any]:
    return {
        "name": playbook.name,
        "definition": _definition(playbook),
        "updated_at": func.now(),
    }


def _stored(row: RowMapping) -> StoredPlaybook:
    return StoredPlaybook(
        playbook=Playbook.model_validate(row["definition"]),
        version=row["version"],
        updated_at=row["updated_at"],
    )
