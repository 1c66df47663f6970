"""Stored scoring model versions: the active one, storing a new one, listing them all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.health.storage.tables import scoring_models


async def active_model(session: AsyncSession) -> tuple[str, str] | None:
    """(version, YAML body) of the active scoring model, if one was stored."""
    t = scoring_models
    row = (await session.execute(select(t.c.version, t.c.body).where(t.c.active))).first()
    return (row[0], row[1]) if row is not None else None


class ModelVersionTaken(ValueError):
    """A different model is already stored under this version."""


async def store_model(session: AsyncSession, version: str, fingerprint: str, body: str) -> str:
    """Make a model the active one; an identical model already stored is re-activated.

    Returns the active version (the earlier version when the content is the same).
    Raises `ModelVersionTaken` when another model already has this version.
    """
    t = scoring_models
    existing = (
        await session.execute(select(t.c.version).where(t.c.fingerprint == fingerprint))
    ).scalar()
    if existing is None:
        taken = (await session.execute(select(t.c.version).where(t.c.version == version))).scalar()
        if taken is not None:
            raise ModelVersionTaken(
                f"scoring model version {version!r} is already stored with other content; "
                "give the changed model a new version"
            )
    await session.execute(update(t).where(t.c.active).values(active=False))
    if existing is not None:
        await session.execute(update(t).where(t.c.version == existing).values(active=True))
        return str(existing)
    await session.execute(
        insert(t).values(version=version, fingerprint=fingerprint, body=body, active=True)
    )
    return version


async def list_models(session: AsyncSession) -> list[dict[str, Any]]:
    """Every stored model version, newest first, without bodies."""
    t = scoring_models
    rows = await session.execute(
        select(t.c.version, t.c.fingerprint, t.c.active, t.c.created_at).order_by(
            t.c.created_at.desc()
        )
    )
    return [dict(r._mapping) for r in rows]
