"""What follows from alert changes, in the transaction that made them: an opened alert
starts its rule's playbook, every change (and each band change health reports) becomes a
webhook message in the outbox, and every change is counted. Once that transaction
commits, the dispatcher is woken to deliver at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from pulse.alerts import metrics
from pulse.alerts.delivery.enqueue import WebhookMessage, enqueue
from pulse.alerts.keeping.keeper import Written
from pulse.alerts.keeping.notices import alert_messages, band_changed, resolved_by_hand
from pulse.alerts.playbooks.instantiate import PlannedTask
from pulse.alerts.playbooks_store.catalog import PlaybookCatalog
from pulse.alerts.playbooks_store.starting import start_playbook
from pulse.alerts.rules.transitions import Action
from pulse.common.score_changes import ScoreChange


class AlertOutputs:
    """Starts playbooks, queues webhook messages and counts alert changes."""

    def __init__(self, catalog: PlaybookCatalog, wake_delivery: Callable[[], None]) -> None:
        self._catalog = catalog
        self._wake_delivery = wake_delivery

    async def alerts_changed(
        self, session: AsyncSession, written: Sequence[Written], now: datetime
    ) -> None:
        """Start the playbooks of opened alerts; queue and count every change."""
        messages: list[WebhookMessage] = []
        for item in written:
            row, action = item.row, item.action
            playbook = None
            if action is Action.OPEN and row["playbook_id"] is not None:
                playbook = await self._start_playbook(session, row)
            messages += alert_messages(action, row, item.change.rule, item.health, playbook, now)
            _count(action, row)
        await self._send(session, messages)

    async def alerts_moved_by_hand(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
    ) -> None:
        """Queue `alert.resolved` for alerts resolved by hand or with their rule."""
        resolved = [row for row in rows if row["state"] == "resolved"]
        for row in resolved:
            metrics.ALERTS_RESOLVED.labels(row["rule_id"], row["severity"], row["resolution"]).inc()
        await self._send(session, [resolved_by_hand(row, now) for row in resolved])

    async def bands_changed(
        self, session: AsyncSession, changes: Sequence[ScoreChange], now: datetime
    ) -> None:
        """Queue `health.band_changed` for accounts health moved to another band."""
        await self._send(session, [band_changed(change) for change in changes])

    async def _start_playbook(
        self, session: AsyncSession, row: dict[str, Any]
    ) -> tuple[str, list[PlannedTask]] | None:
        tasks = await start_playbook(
            session,
            alert_id=row["id"],
            account_id=row["account_id"],
            rule_id=row["rule_id"],
            playbook_id=row["playbook_id"],
            owner=row["owner"],
            opened_at=row["opened_at"],
            catalog=self._catalog,
        )
        found = await self._catalog.get(session, row["playbook_id"])
        return (found.name, tasks) if found is not None else None

    async def _send(self, session: AsyncSession, messages: Sequence[WebhookMessage]) -> None:
        if not messages:
            return
        await enqueue(session, messages)
        wake = self._wake_delivery

        def committed(_: Session) -> None:
            wake()

        # Deliver as soon as the messages are committed, not at the dispatcher's next poll.
        event.listen(session.sync_session, "after_commit", committed, once=True)


def _count(action: Action, row: dict[str, Any]) -> None:
    rule, severity = row["rule_id"], row["severity"]
    if action is Action.OPEN:
        metrics.ALERTS_OPENED.labels(rule, severity).inc()
    elif action is Action.UPDATE:
        metrics.ALERTS_UPDATED.labels(rule, severity).inc()
    else:
        metrics.ALERTS_RESOLVED.labels(rule, severity, "cleared").inc()
