"""Alert rows: what the engine's changes write and what the API reads and moves.

Every function runs in the caller's transaction. The engine writes an alert when it opens,
updates it on each new trip and resolves it when its condition clears; people acknowledge,
snooze and resolve it over the API. An alert resolved by hand stays resolved: the engine's
later updates of it are ignored, and the rule opens a new alert only after its condition
has cleared (and any cooldown passed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.evaluation.watch import AlertChange
from pulse.alerts.rules.transitions import Action
from pulse.alerts.storage.tables import alerts

#: States an alert can be listed by.
STATES = ("open", "acknowledged", "snoozed", "resolved")


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the alert shows of its account when written."""

    name: str
    owner: str | None
    segment: str | None


async def write_change(
    session: AsyncSession, change: AlertChange, facts: AccountFacts
) -> tuple[Action, dict[str, Any]] | None:
    """Write one engine change; what it did (an opening may update the unresolved alert
    instead) and the alert row as it now stands, or None when nothing changed (an update
    or resolution of an alert already resolved by hand)."""
    verdict = change.verdict
    evidence = [
        {"event_id": e.event_id, "occurred_at": e.occurred_at.isoformat()} for e in verdict.evidence
    ]
    trip = {
        "reason": change.reason,
        "count": verdict.count,
        "total": str(verdict.total),
        "evidence": evidence,
        "last_trip_at": change.at,
        "updated_at": change.at,
        "owner": facts.owner,
        "segment": facts.segment,
        "name": facts.name,
    }
    t = alerts
    # The unresolved alert of a (rule, account) is unique (an index says so): updates and
    # resolutions find it by that pair.
    unresolved = (
        (t.c.rule_id == change.rule.id)
        & (t.c.account_id == change.account_id)
        & (t.c.state != "resolved")
    )
    if change.action is Action.OPEN:
        opened = (
            insert(t)
            .values(
                id=change.alert_id,
                rule_id=change.rule.id,
                account_id=change.account_id,
                severity=change.rule.severity,
                state="open",
                trips=1,
                playbook_id=change.rule.playbook,
                opened_at=change.at,
                **trip,
            )
            # An unresolved alert of the pair already (a rule that does not resolve by
            # itself tripped again): this trip updates it instead.
            .on_conflict_do_nothing()
            .returning(*t.c)
        )
        row = (await session.execute(opened)).mappings().first()
        if row is not None:
            return Action.OPEN, dict(row)
    statement: Executable
    if change.action is Action.RESOLVE:
        statement = (
            update(t)
            .where(unresolved)
            .values(
                state="resolved",
                resolved_at=change.at,
                updated_at=change.at,
                resolution="cleared",
                snoozed_until=None,
            )
            .returning(*t.c)
        )
    else:
        statement = update(t).where(unresolved).values(trips=t.c.trips + 1, **trip).returning(*t.c)
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        return None
    return (Action.RESOLVE if change.action is Action.RESOLVE else Action.UPDATE), dict(row)


async def move_account(session: AsyncSession, account_id: str, facts: AccountFacts) -> None:
    """An account's owner, segment or name changed: its unresolved alerts follow."""
    t = alerts
    await session.execute(
        update(t)
        .where(t.c.account_id == account_id, t.c.state != "resolved")
        .values(owner=facts.owner, segment=facts.segment, name=facts.name)
    )


async def wake_snoozed(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Snoozed alerts whose time has come are open again; the rows woken."""
    t = alerts
    rows = await session.execute(
        update(t)
        .where(t.c.state == "snoozed", t.c.snoozed_until <= now)
        .values(state="open", snoozed_until=None, updated_at=now)
        .returning(*t.c)
    )
    return [dict(r) for r in rows.mappings()]


async def resolve_removed_rules(
    session: AsyncSession, rule_ids: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """Resolve the unresolved alerts of rules no longer in force; the rows resolved."""
    if not rule_ids:
        return []
    t = alerts
    rows = await session.execute(
        update(t)
        .where(t.c.rule_id.in_(list(rule_ids)), t.c.state != "resolved")
        .values(state="resolved", resolved_at=now, updated_at=now, resolution="rule_removed")
        .returning(*t.c)
    )
    return [dict(r) for r in rows.mappings()]


async def get_alert(
    session: AsyncSession, alert_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """One alert row, or None; `for_update` locks it until the transaction ends."""
    query = select(alerts).where(alerts.c.id == alert_id)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).mappings().first()
    return dict(found) if found is not None else None


async def set_state(
    session: AsyncSession, alert_id: str, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Move one alert (acknowledge, snooze, resolve by hand); the row, or None if unknown."""
    t = alerts
    row = (
        (
            await session.execute(
                update(t).where(t.c.id == alert_id).values(**values).returning(*t.c)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class AlertFilters:
    """What `GET /v1/alerts` narrows by; None: any."""

    state: str | None = None
    rule_id: str | None = None
    owner: str | None = None
    severity: str | None = None
    account_id: str | None = None


async def list_alerts(
    session: AsyncSession,
    filters: AlertFilters,
    *,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[dict[str, Any]]:
    """Alerts newest first (opened_at, then id), after the keyset position `after`."""
    t = alerts
    query = select(t)
    for column, value in (
        (t.c.state, filters.state),
        (t.c.rule_id, filters.rule_id),
        (t.c.owner, filters.owner),
        (t.c.severity, filters.severity),
        (t.c.account_id, filters.account_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        opened_at, alert_id = after
        query = query.where(
            or_(t.c.opened_at < opened_at, and_(t.c.opened_at == opened_at, t.c.id < alert_id))
        )
    rows = await session.execute(query.order_by(t.c.opened_at.desc(), t.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]
