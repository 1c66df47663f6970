"""What follows from alert changes, in the transaction that made them: an opened alert
starts its rule's playbook, and every change is counted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts import metrics
from pulse.alerts.keeping.keeper import Written
from pulse.alerts.messages import ScoreChange
from pulse.alerts.playbooks_store.catalog import PlaybookCatalog
from pulse.alerts.playbooks_store.starting import start_playbook
from pulse.alerts.rules.transitions import Action


class AlertOutputs:
    """Starts playbooks and counts alert changes by rule and severity."""

    def __init__(self, catalog: PlaybookCatalog) -> None:
        self._catalog = catalog

    async def alerts_changed(
        self, session: AsyncSession, written: Sequence[Written], now: datetime
    ) -> None:
        """Start the playbooks of opened alerts; count what the engine opened, updated
        and resolved."""
        for item in written:
            row = item.row
            rule, severity = row["rule_id"], row["severity"]
            if item.change.action is Action.OPEN:
                if row["playbook_id"] is not None:
                    await start_playbook(
                        session,
                        alert_id=row["id"],
                        account_id=row["account_id"],
                        rule_id=rule,
                        playbook_id=row["playbook_id"],
                        owner=row["owner"],
                        opened_at=row["opened_at"],
                        catalog=self._catalog,
                    )
                metrics.ALERTS_OPENED.labels(rule, severity).inc()
            elif item.change.action is Action.UPDATE:
                metrics.ALERTS_UPDATED.labels(rule, severity).inc()
            else:
                metrics.ALERTS_RESOLVED.labels(rule, severity, "cleared").inc()

    async def alerts_moved_by_hand(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
    ) -> None:
        """Count alerts resolved by hand or because their rule was removed."""
        for row in rows:
            if row["state"] == "resolved":
                metrics.ALERTS_RESOLVED.labels(
                    row["rule_id"], row["severity"], row["resolution"]
                ).inc()

    async def bands_changed(
        self, session: AsyncSession, changes: Sequence[ScoreChange], now: datetime
    ) -> None:
        """Health moved accounts to another band (webhook messages follow)."""
