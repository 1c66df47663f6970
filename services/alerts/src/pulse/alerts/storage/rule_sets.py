"""Versions of the rule set: the highest is in force. Every function runs in the caller's
transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.storage.tables import rule_sets


async def latest_version(session: AsyncSession) -> int | None:
    """The version in force, or None before any is stored."""
    version = (await session.execute(select(func.max(rule_sets.c.version)))).scalar()
    return None if version is None else int(version)


async def latest(session: AsyncSession) -> tuple[int, list[dict[str, Any]]] | None:
    """(version, rules) in force, or None before any is stored."""
    t = rule_sets
    row = (
        await session.execute(select(t.c.version, t.c.rules).order_by(t.c.version.desc()).limit(1))
    ).first()
    return (row[0], row[1]) if row is not None else None


async def lock_for_change(session: AsyncSession) -> None:
    """Take the rule sets for a change: two changes never both build on one version."""
    await session.execute(text(f"LOCK TABLE {rule_sets.name} IN SHARE ROW EXCLUSIVE MODE"))


async def add_version(session: AsyncSession, rules: list[dict[str, Any]], change: str) -> int:
    """Store a new rule set in force; its version."""
    t = rule_sets
    statement = insert(t).values(rules=rules, change=change).returning(t.c.version)
    return int((await session.execute(statement)).scalar_one())
